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
      who.textContent = event.kind === "private" ? "crmphoto" : (event.who || "you");
      body.innerHTML = event.html;
      if (event.kind === "message") {
        item.append(moreActions());
      } else {
        const only = document.createElement("div");
        only.className = "only";
        only.textContent = "Only visible to you";
        item.append(only);
      }
    }
    item.append(who, body);
    return item;
  }

  // Slack's "More actions" (⋮) on a message: the message shortcuts, here crmphoto's one.
  function moreActions() {
    const actions = document.createElement("div");
    actions.className = "actions";
    const more = document.createElement("button");
    more.type = "button";
    more.className = "more";
    more.textContent = "\u22ee";
    more.title = "More actions";
    more.setAttribute("aria-label", "More actions");
    more.setAttribute("aria-haspopup", "menu");
    const menu = document.createElement("div");
    menu.className = "menu";
    menu.setAttribute("role", "menu");
    menu.hidden = true;
    const shortcut = document.createElement("button");
    shortcut.type = "button";
    shortcut.className = "shortcut";
    shortcut.setAttribute("role", "menuitem");
    shortcut.textContent = "Show CRM photo";
    const app = document.createElement("span");
    app.className = "app";
    app.textContent = "crmphoto";
    shortcut.append(app);
    menu.append(shortcut);
    actions.append(more, menu);
    return actions;
  }

  function closeMenus(except) {
    for (const menu of list.querySelectorAll(".menu")) if (menu !== except) menu.hidden = true;
  }

  // A reply in a message's thread goes under that message, with the count of its replies.
  function threadOf(parent) {
    let thread = parent.querySelector(":scope > .thread");
    if (!thread) {
      thread = document.createElement("div");
      thread.className = "thread";
      const count = document.createElement("div");
      count.className = "count";
      const replies = document.createElement("div");
      replies.className = "replies";
      thread.append(count, replies);
      parent.append(thread);
    }
    return thread;
  }

  function draw(event) {
    const old = event.replaces ? list.querySelector('[data-id="' + event.replaces + '"]') : null;
    if (event.kind === "delete") {
      if (old) old.remove();
      return;
    }
    const item = element(event);
    const parent = event.thread ? list.querySelector('.event.message[data-id="' + event.thread + '"]') : null;
    if (old) old.replaceWith(item);
    else if (parent) {
      const thread = threadOf(parent);
      thread.querySelector(".replies").append(item);
      const n = thread.querySelectorAll(".replies > .event").length;
      thread.querySelector(".count").textContent = n === 1 ? "1 reply" : n + " replies";
    } else list.append(item);
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
    const more = e.target.closest("button.more");
    if (more) {
      const menu = more.nextElementSibling;
      closeMenus(menu);
      menu.hidden = !menu.hidden;
      return;
    }
    const shortcut = e.target.closest("button.shortcut");
    if (shortcut) {
      closeMenus(null);
      post("/demo/shortcut", {message: Number(shortcut.closest(".event").dataset.id)});
      return;
    }
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

  document.addEventListener("click", e => { if (!e.target.closest(".actions")) closeMenus(null); });
  document.addEventListener("keydown", e => { if (e.key === "Escape") closeMenus(null); });

  poll();
  setInterval(poll, 700);
})();
