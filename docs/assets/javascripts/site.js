// What the theme leaves to the site: Mermaid loaded only by a page that draws a diagram, and
// accessible names for the parts of the page that the theme leaves unnamed.
"use strict";

(() => {
  // --- Mermaid, on demand ------------------------------------------------------------------
  // The theme draws a diagram with the page's `mermaid` when there is one, and fetches Mermaid
  // from a CDN when there is none. This `mermaid` stands in for it: the theme calls it only on
  // a page with a diagram, and the first call loads the bundle that ships beside this file
  // (3.5 MB), so a page without a diagram never loads it, even after instant navigation.
  const bundle = new URL("mermaid.min.js", document.currentScript.src).href;
  let config = {};
  let loading = null;

  const loadMermaid = () => {
    loading ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = bundle;
      script.onload = () => {
        // The bundle replaces this stand-in with the real `mermaid`.
        window.mermaid.initialize(config);
        resolve(window.mermaid);
      };
      script.onerror = () => reject(new Error(`could not load ${bundle}`));
      document.head.appendChild(script);
    });
    return loading;
  };

  // Mermaid draws a diagram at the width of its box, and shrinks it, labels and all, on a
  // narrow screen (to 5 px on a phone). Drawn at its own size instead, a diagram wider than the
  // screen scrolls sideways, and its box is reachable by keyboard (see `reachable` below).
  const atOwnSize = (svg) =>
    svg.replace(/<svg([^>]*?) width="100%"([^>]*?) style="max-width: ([\d.]+)px;/, (_, a, b, w) =>
      `<svg${a} width="${w}"${b} style="max-width: none;`,
    );

  window.mermaid = {
    initialize(options) {
      config = options;
    },
    render(...args) {
      return loadMermaid()
        .then((mermaid) => mermaid.render(...args))
        .then((result) => ({ ...result, svg: atOwnSize(result.svg) }));
    },
  };

  // --- Accessible names ----------------------------------------------------------------------
  const name = (element, label) => {
    if (element && !element.hasAttribute("aria-label")) element.setAttribute("aria-label", label);
  };

  // Each listing gets a <nav> for its copy button; its name says which listing it serves.
  const nameListingTools = (root) => {
    root.querySelectorAll(".md-code__nav:not([aria-label])").forEach((nav) => {
      const block = nav.closest(".highlight");
      const title = block && block.querySelector(".filename");
      const listings = [...document.querySelectorAll(".md-content .highlight")];
      const number = listings.indexOf(block) + 1;
      const what = title ? title.textContent.trim() : `listing ${number}`;
      nav.setAttribute("aria-label", `Tools for ${what} (listing ${number})`);
    });
  };

  // What scrolls sideways on a narrow screen (a listing, a table, a diagram) takes the keyboard
  // focus and says what it is, so that a reader without a mouse or a touch screen scrolls it
  // with the arrow keys. The theme does this for listings on devices with a mouse only.
  const describe = (element, index) => {
    if (element.matches("div.mermaid")) return `Diagram ${index + 1}`;
    if (element.matches("figure")) {
      const caption = element.querySelector("figcaption");
      return `Figure ${index + 1}${caption ? `: ${caption.textContent.trim()}` : ""}`;
    }
    if (element.matches(".md-typeset__scrollwrap")) {
      const head = [...element.querySelectorAll("th")].map((th) => th.textContent.trim());
      return `Table ${index + 1}${head.length ? `: ${head.filter(Boolean).join(", ")}` : ""}`;
    }
    const title = element.closest(".highlight")?.querySelector(".filename");
    return `Listing ${index + 1}${title ? `: ${title.textContent.trim()}` : ""}`;
  };

  const SCROLLERS = {
    listing: ".md-content pre > code",
    table: ".md-content .md-typeset__scrollwrap",
    diagram: ".md-content div.mermaid",
    figure: ".md-content figure",
  };

  const reachable = () => {
    for (const selector of Object.values(SCROLLERS)) {
      document.querySelectorAll(selector).forEach((element, index) => {
        const scrolls = element.scrollWidth > element.clientWidth + 1;
        // The theme takes a listing's tabindex away again on a touch screen: look at it too.
        if (scrolls && (!element.dataset.guideScroll || element.tabIndex !== 0)) {
          element.dataset.guideScroll = "1";
          element.setAttribute("tabindex", "0");
          element.setAttribute("role", "region");
          element.setAttribute("aria-label", `${describe(element, index)} (scrolls sideways)`);
        } else if (!scrolls && element.dataset.guideScroll) {
          delete element.dataset.guideScroll;
          for (const attribute of ["tabindex", "role", "aria-label"]) {
            element.removeAttribute(attribute);
          }
        }
      });
    }
  };

  let pending = 0;
  const later = () => {
    if (!pending) {
      pending = requestAnimationFrame(() => {
        pending = 0;
        nameListingTools(document);
        reachable();
      });
    }
  };

  const nameThePage = () => {
    name(document.querySelector(".md-search[role=dialog]"), "Search the guide");
    name(document.querySelector(".md-progress[role=progressbar]"), "Loading the next page");
    later();
  };

  // The theme adds the listings' tools and the tables' scrolling boxes after the page loads,
  // and again after each instant navigation, and diagrams arrive later still: look again
  // whenever the page changes or the window is resized.
  new MutationObserver((changes) => {
    if (changes.some((change) => change.addedNodes.length || change.type === "attributes")) {
      later();
    }
  }).observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["tabindex"],
  });
  window.addEventListener("resize", later);
  nameThePage();
})();
