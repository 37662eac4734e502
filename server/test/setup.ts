// @jupyterlab/services logs every websocket (re)start at debug level; keep test output to what tests print.
console.debug = () => {};
