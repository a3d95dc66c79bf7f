"""API v2: tasks have a status, and lists are paged with cursors."""
