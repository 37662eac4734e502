// Runs inside each sandboxed output frame (opaque origin, no allow-same-origin): the parent page cannot
// measure the frame's content, so the frame reports its own height. The message carries a number only.
(function () {
  var last = -1;
  function post() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h !== last) {
      last = h;
      parent.postMessage({ type: "lab-frame-height", height: h }, "*");
    }
  }
  new ResizeObserver(post).observe(document.documentElement);
  addEventListener("load", post);
})();
