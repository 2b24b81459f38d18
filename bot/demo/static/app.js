// The demo page: send what is typed, draw the channel's events (HTML made safe by the server), poll for more.
"use strict";
(function () {
  const list = document.getElementById("messages");
  const box = document.getElementById("box");
  let after = 0;

  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
      .then(poll);
  }

  function element(event) {
    const item = document.createElement("div");
    item.className = "event " + event.kind;
    item.dataset.id = event.id;
    const who = document.createElement("div");
    who.className = "who";
    const body = document.createElement("div");
    body.className = "body";
    if (event.kind === "photo") {
      who.textContent = "crmphoto";
      const img = document.createElement("img");
      img.className = "photo";
      img.src = event.src;
      img.alt = "";
      const title = document.createElement("div");
      title.className = "title";
      title.innerHTML = event.title;
      const caption = document.createElement("div");
      caption.className = "caption";
      caption.innerHTML = event.html;
      body.append(caption, title, img);
    } else {
      who.textContent = event.kind === "private" ? "crmphoto" : "you";
      body.innerHTML = event.html;
      if (event.kind !== "message") {
        const only = document.createElement("div");
        only.className = "only";
        only.textContent = "Only visible to you";
        item.append(only);
      }
    }
    item.append(who, body);
    return item;
  }

  function draw(event) {
    const old = event.replaces ? list.querySelector('[data-id="' + event.replaces + '"]') : null;
    if (event.kind === "delete") {
      if (old) old.remove();
      return;
    }
    const item = element(event);
    if (old) old.replaceWith(item); else list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  function poll() {
    return fetch("/demo/events?after=" + after).then(r => r.json()).then(data => {
      for (const event of data.events) {
        after = Math.max(after, event.id);
        draw(event);
      }
    }).catch(() => {});
  }

  document.getElementById("composer").addEventListener("submit", e => {
    e.preventDefault();
    const text = box.value;
    box.value = "";
    if (text.trim()) post("/demo/command", {text: text});
  });

  list.addEventListener("click", e => {
    const button = e.target.closest("button.choice");
    if (!button) return;
    button.disabled = true;
    const message = Number(button.closest(".event").dataset.id);
    post("/demo/click", {value: button.dataset.value, action: button.dataset.action,
                         block: button.dataset.block, message: message});
  });

  fetch("/demo/try").then(r => r.json()).then(data => {
    const ul = document.getElementById("try");
    for (const t of data.try) {
      const li = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = t.text;
      code.addEventListener("click", () => { box.value = t.text; box.focus(); });
      const shows = document.createElement("span");
      shows.textContent = " " + t.shows;
      li.append(code, shows);
      ul.append(li);
    }
  });

  // The language picker: the stand-in's Slack language, as Slack's users.info gives it to the bot.
  const picker = document.getElementById("language");
  const pickError = document.getElementById("language-error");
  function showLocale(data) {
    picker.replaceChildren(...data.languages.map(l => new Option(l.name, l.code, false, l.code === data.locale)));
  }
  fetch("/demo/locale").then(r => r.json()).then(showLocale);
  picker.addEventListener("change", () => {
    pickError.textContent = "";
    fetch("/demo/locale", {method: "POST", headers: {"Content-Type": "application/json"},
                           body: JSON.stringify({locale: picker.value})})
      .then(r => r.json()).then(data => {
        if (data.error) pickError.textContent = data.error;
        return fetch("/demo/locale").then(r => r.json()).then(showLocale);
      });
  });

  poll();
  setInterval(poll, 700);
})();
