/* The Scenario page's EPW upload: a file over the limit is kept in the browser by dcc.Upload's
   max_size, which tells the server nothing. Here it is said at once, in one line naming the file,
   its size and the limit (the server's own words, in the page's language: the message element's
   data-too-large, with {mb} and then {name} put in literally: a name's
   "$&" or "{mb}" is shown as typed), replacing the previous upload's message. */
(function () {
    "use strict";
    function said(files) {
        var box = document.getElementById("sc-upload-message");
        if (!box || !files || files.length !== 1 || !window.dash_clientside) {
            return;
        }
        var file = files[0];
        var limit = Number(box.getAttribute("data-limit"));
        if (!(limit > 0) || file.size <= limit) {
            return;
        }
        var mb = (file.size / 1e6).toLocaleString("en-US", {minimumFractionDigits: 1, maximumFractionDigits: 1});
        var text = box.getAttribute("data-too-large").split("{mb}").join(mb).split("{name}").join(file.name);
        window.dash_clientside.set_props("sc-upload-message", {
            children: {
                type: "Div",
                namespace: "dash_html_components",
                props: {children: text, className: "error", role: "alert"}
            }
        });
    }
    function within(target) {
        return target instanceof Element && target.closest("#sc-upload") !== null;
    }
    document.addEventListener("change", function (ev) {
        if (within(ev.target) && ev.target.files) {
            said(ev.target.files);
        }
    }, true);
    document.addEventListener("drop", function (ev) {
        if (within(ev.target) && ev.dataTransfer) {
            said(ev.dataTransfer.files);
        }
    }, true);
}());
