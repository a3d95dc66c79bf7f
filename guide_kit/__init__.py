"""The kit's own library: the commands that readers and contributors run beside the guide."""
