// The readings round on a phone, offline-tolerant: a reading typed without network is kept in this page's
// storage (localStorage) with the time it was typed and its photo, and sent when the network is back.
// Without JavaScript each form posts one reading and the page comes back.
(function () {
  "use strict";
  var KEY = "marina-portal/pending-readings";
  var MAX_SIDE = 1600; // photos are shrunk before they are kept: a phone's storage holds a few megabytes
  var box = document.getElementById("offline-queue");

  function pending() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "[]");
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(items));
      return true;
    } catch (e) {
      return false; // storage full: the caller says so
    }
  }

  function say(text, kind) {
    if (!box) return;
    box.hidden = false;
    var line = document.createElement("p");
    line.className = "flash" + (kind ? " flash-" + kind : "");
    line.textContent = text;
    box.appendChild(line);
  }

  function showCount() {
    var count = pending().length;
    var old = box && box.querySelector("[data-count]");
    if (old) old.remove();
    if (!box || !count) return;
    box.hidden = false;
    var line = document.createElement("p");
    line.setAttribute("data-count", "");
    line.className = "flash";
    line.textContent = count + (count > 1 ? " relevés en attente d'envoi" : " relevé en attente d'envoi") +
      " : ils partiront dès que le réseau revient.";
    box.prepend(line);
  }

  function localNow() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!file) return resolve(null);
      var reader = new FileReader();
      reader.onerror = function () { resolve(null); };
      reader.onload = function () {
        var img = new Image();
        img.onerror = function () { resolve(reader.result); }; // not an image to the browser: the server judges
        img.onload = function () {
          var scale = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
          var canvas = document.createElement("canvas");
          canvas.width = Math.round(img.width * scale);
          canvas.height = Math.round(img.height * scale);
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", 0.8));
        };
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  function blobOf(dataUrl) {
    var parts = dataUrl.split(","), mime = parts[0].split(":")[1].split(";")[0];
    var bytes = atob(parts[1]), array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return new Blob([array], { type: mime });
  }

  function token() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // Resolves to {ok, message} when the server answered, rejects when the network did not.
  function send(item) {
    var body = new FormData();
    body.append("csrf_token", token()); // this page's token: the one kept may be from an older page
    body.append("index", item.index);
    body.append("read_at", item.readAt);
    if (item.photo) body.append("photo", blobOf(item.photo), "releve.jpg");
    return fetch(item.action, {
      method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (answer) { return answer; }, function () {
        return { ok: false, message: "Réponse inattendue du serveur (" + response.status + ") pour " + item.label + "." };
      });
    });
  }

  function flush() {
    var items = pending();
    if (!items.length || !navigator.onLine) return showCount();
    var item = items[0];
    send(item).then(function (answer) {
      save(pending().slice(1));
      say(answer.message, answer.ok ? "success" : "error");
      flush();
    }, function () {
      showCount(); // still offline: try again when the network comes back
    });
  }

  document.querySelectorAll("form[data-offline-reading]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var index = form.querySelector("input[name=index]").value.trim();
      if (!index) {
        say("Saisissez l'index lu sur le " + form.getAttribute("data-meter-label") + ".", "error");
        return;
      }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      var fileInput = form.querySelector("input[type=file]");
      shrink(fileInput && fileInput.files[0]).then(function (photo) {
        var item = {
          action: form.action, index: index, readAt: localNow(), photo: photo,
          label: form.getAttribute("data-meter-label")
        };
        function keep() {
          var items = pending();
          items.push(item);
          if (!save(items) && photo) {
            item.photo = null; // no room for the photo: the index at least is kept
            items[items.length - 1] = item;
            save(items);
            say("Mémoire du téléphone pleine : la photo du " + item.label + " n'est pas gardée, l'index l'est.", "error");
          }
          say("Pas de réseau : relevé du " + item.label + " gardé sur ce téléphone.", "");
          form.reset();
          showCount();
          if (navigator.onLine && pending().length > 1) flush();
        }
        if (!navigator.onLine || pending().length) return keep();
        send(item).then(function (answer) {
          say(answer.message, answer.ok ? "success" : "error");
          if (answer.ok) form.reset();
        }, keep);
      }).then(function () { button.disabled = false; }, function () { button.disabled = false; });
    });
  });

  window.addEventListener("online", flush);
  flush();
})();
