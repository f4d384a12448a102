// The playground page: renders the bot's neutral messages and sends what the
// person writes or presses. Plain JavaScript, no build step, nothing fetched
// from the internet.
"use strict";

const params = new URLSearchParams(location.search);
const state = { person: params.get("person") || "lise", view: params.get("view") || "dm", thread: null, data: null, shown: null,
                place: null, count: 0, nearBottom: true };
const $ = (id) => document.getElementById(id);

// A person the bot names is a marker (bot/core/mentions.py): platform, team, id and name
// between private-use characters. The page shows a playground person's name as a mention
// (styled, as Teams shows one), anyone else (and any marker outside the bot's own
// paragraphs) as the plain name.
const MENTION = /\uE000([^\uE000-\uE002]*)\uE001[^\uE000-\uE002]*\uE001[^\uE000-\uE002]*\uE001([^\uE000-\uE002]*)\uE002/g;

function rawEscape(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function escapeHtml(text) {
  return rawEscape(String(text).replace(MENTION, "$2").replace(/[\uE000-\uE002]/g, ""));
}

// The bot's own texts use *bold* and `code`; a person's words are shown as written.
function botText(text) {
  const names = [];
  const marked = String(text).replace(MENTION, (_, platform, name) => {
    names.push(platform === "playground" ? `<span class="mention">${rawEscape(name)}</span>` : rawEscape(name));
    return `\uE000${names.length - 1}\uE002`;
  });
  return rawEscape(marked.replace(/[\uE001]/g, ""))
    .replace(/\*([^*\n]+)\*/g, "<strong>$1</strong>").replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(/\uE000(\d+)\uE002/g, (_, i) => names[Number(i)]).replace(/[\uE000-\uE002]/g, "");
}

function el(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

function renderBlock(block, messageId, where, thread) {
  switch (block.kind) {
    case "heading": return el("h3", "", escapeHtml(block.text));
    case "paragraph": return el("p", "", botText(block.text));
    case "context": return el("p", "context", botText(block.text));
    case "divider": return el("hr");
    case "link": {
      const a = el("a", "file-link", escapeHtml(block.label));
      a.href = block.url;
      a.rel = "noopener";
      return el("p").appendChild(a).parentNode;
    }
    case "quote": {
      const box = el("div");
      box.append(el("div", "label", escapeHtml(block.label)), el("blockquote", "", escapeHtml(block.text)));
      return box;
    }
    case "columns": {
      const box = el("div");
      box.append(el("div", "label", escapeHtml(block.title)));
      const grid = el("div", "columns");
      for (const column of block.columns) {
        grid.append(el("div", "", `<strong>${escapeHtml(column.label)}</strong>\n${escapeHtml(column.text)}`));
      }
      box.append(grid);
      return box;
    }
    case "buttons": {
      const row = el("div", "buttons");
      for (const button of block.buttons) {
        const b = el("button", button.style || "", escapeHtml(button.label));
        b.type = "button";
        b.addEventListener("click", () => press(messageId, button, where, thread));
        row.append(b);
      }
      return row;
    }
    case "picker": {
      // A dialog question's picker beside typing (bot/core/messages.py): one of the cast, or a date.
      const row = el("div", "buttons");
      let input;
      if (block.picks === "person") {
        input = el("select");
        input.append(new Option(block.label, ""));
        for (const p of state.data.people) input.append(new Option(p.name, p.id));
      } else {
        input = el("input");
        input.type = "date";
      }
      input.setAttribute("aria-label", block.label);
      const b = el("button", "", escapeHtml(block.submit));
      b.type = "button";
      b.addEventListener("click", () => press(messageId, block, where, thread, input.value));
      row.append(input, b);
      return row;
    }
    default: return el("p", "", escapeHtml(block.text || ""));
  }
}

// A form (bot/core/forms.py), as Slack shows a modal and Teams a card: an input a field, the
// problems under their fields, one button that sends it. A person is one of the cast.
function renderForm(message) {
  const form = message.form;
  const box = el("form", "form");
  box.append(el("h3", "", escapeHtml(form.title)));
  if (form.done) {
    box.append(el("p", "context", botText(form.done)));
    return box;
  }
  const inputs = {};
  for (const field of form.fields) {
    const row = el("div", "field");
    const id = `f${message.id}-${field.key}`;
    const label = el("label", "", escapeHtml(field.label));
    label.htmlFor = id;
    row.append(label);
    let input;
    if (["person", "people", "choice", "channel"].includes(field.kind)) {
      input = el("select");
      input.multiple = field.kind === "people";
      const options = field.kind === "choice" || field.kind === "channel" ? field.choices.map((c) => [c.value, c.label])
                                               : message.people.map((p) => [p.id, p.name]);
      if (!input.multiple) input.append(new Option("", ""));
      for (const [value, text] of options) input.append(new Option(text, value, false, (field.value || "").split(",").includes(value)));
    } else if (field.kind === "text" && field.multiline) {
      input = el("textarea");
      input.value = field.value || "";
    } else {
      input = el("input");
      input.type = { date: "date", time: "time" }[field.kind] || "text";
      input.value = field.value || "";
      if (field.min_date) input.min = field.min_date;
    }
    if (field.kind === "text" && field.max_length) input.maxLength = field.max_length;
    input.id = id;
    input.name = field.key;
    inputs[field.key] = input;
    row.append(input);
    if (field.hint) row.append(el("p", "context", escapeHtml(field.hint)));
    if (field.error) {
      const error = el("p", "error", escapeHtml(field.error));
      error.setAttribute("role", "alert");
      row.append(error);
    }
    box.append(row);
  }
  const send = el("button", "primary", escapeHtml(form.submit));
  send.type = "submit";
  box.append(el("div", "buttons").appendChild(send).parentNode);
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = {};
    for (const [key, input] of Object.entries(inputs)) {
      fields[key] = input.multiple ? Array.from(input.selectedOptions).map((o) => o.value).join(",") : input.value;
    }
    const people = form.fields.filter((f) => f.kind === "person" || f.kind === "people").map((f) => f.key);
    state.nearBottom = nearBottom();
    post("/api/submit", { person: state.person, message_id: message.id, value: `${form.name}:${form.nonce}`, fields, people });
  });
  return box;
}

// What is being filled in on a form survives a redraw (the clock, a new message).
function keptInputs() {
  const kept = new Map();
  for (const input of document.querySelectorAll("#messages form.form [name]")) {
    kept.set(input.id, input.multiple ? Array.from(input.selectedOptions).map((o) => o.value) : input.value);
  }
  return kept;
}

function restoreInputs(kept) {
  for (const input of document.querySelectorAll("#messages form.form [name]")) {
    if (!kept.has(input.id)) continue;
    const value = kept.get(input.id);
    if (input.multiple) for (const option of input.options) option.selected = value.includes(option.value);
    else input.value = value;
  }
}

function renderMessages(messages, texts) {
  const list = $("messages");
  const kept = keptInputs();
  list.replaceChildren();
  for (const message of messages) {
    const item = el("li", message.from === "me" ? "me" : "bot");
    item.dataset.id = message.id;
    const who = message.from === "me" ? texts.you : texts.bot + (message.only_you ? " · " + texts.only_you : "");
    item.append(el("div", "who", escapeHtml(who)));
    if (message.from === "me") {
      item.append(document.createTextNode(message.text));
    } else if (message.form) {
      item.append(renderForm(message));
    } else {
      for (const block of message.message.blocks) item.append(renderBlock(block, message.id));
    }
    list.append(item);
  }
  restoreInputs(kept);
}

// A bot message in the channel; one only the viewer sees (Slack's ephemeral) says so.
function botMessage(message, texts, where, thread) {
  const item = el("li", message.only_you ? "bot only-you" : "bot");
  item.dataset.id = message.id;
  item.append(el("div", "who", escapeHtml(texts.bot + (message.only_you ? " · " + texts.only_you : ""))));
  for (const block of message.message.blocks) item.append(renderBlock(block, message.id, where, thread));
  return item;
}

function renderChannel(posts, texts) {
  const list = $("messages");
  list.replaceChildren();
  if (!posts.length) list.append(el("li", "person", escapeHtml(texts.channel_empty)));
  for (const post of posts) {
    if (post.from !== "bot") {
      const item = el("li", "person");
      item.append(el("div", "who", escapeHtml(post.name)), document.createTextNode(post.text));
      list.append(item);
      continue;
    }
    const item = botMessage(post, texts, "channel");
    const thread = el("ol", "thread");
    for (const reply of post.replies) {
      if (reply.from === "bot") {
        const r = botMessage(reply, texts, "channel", post.id);
        thread.append(r);
      } else {
        const r = el("li", "person");
        r.append(el("div", "who", escapeHtml(reply.name)), document.createTextNode(reply.text));
        thread.append(r);
      }
    }
    if (post.replies.length) item.append(thread);
    if (post.only_you) { list.append(item); continue; } // nobody else sees it: no thread to start
    const answer = el("button", "link", escapeHtml(texts.reply_in_thread));
    answer.type = "button";
    answer.addEventListener("click", () => { state.thread = post.id; render(state.data); $("text").focus(); });
    item.append(answer);
    list.append(item);
  }
}

function renderPeople(people, texts) {
  const list = $("people");
  list.replaceChildren();
  for (const member of people) {
    const b = el("button", "", `<span>${escapeHtml(member.name)} <span class="role">(${escapeHtml(texts["role_" + member.role])})</span></span>`);
    b.type = "button";
    b.dataset.person = member.id;
    b.setAttribute("aria-pressed", String(member.id === state.person));
    if (member.waiting) {
      const dot = el("span", "dot");
      dot.title = texts.waiting;
      dot.setAttribute("role", "img");
      dot.setAttribute("aria-label", texts.waiting);
      b.append(dot);
    }
    b.addEventListener("click", () => { state.person = member.id; history.replaceState(null, "", `?person=${member.id}&view=${state.view}`); refresh(); });
    const li = el("li");
    li.append(b);
    list.append(li);
  }
}

function render(data) {
  const t = data.texts;
  document.documentElement.lang = data.language;
  document.title = t.title;
  $("title").textContent = t.title;
  $("clock-label").textContent = t.clock;
  $("now").textContent = data.now;
  $("advance-hour").textContent = t.hour;
  $("advance-day").textContent = t.day;
  $("advance-next").textContent = t.next;
  $("next-due").textContent = data.next_due ? "→ " + data.next_due : t.next_none;
  $("language").textContent = t.other_language;
  $("people-title").textContent = t.people;
  $("intro").textContent = t.intro;
  const me = data.people.find((p) => p.id === data.person);
  $("tab-dm").textContent = t.dm_tab;
  $("tab-channel").textContent = t.channel_name;
  $("tab-dm").setAttribute("aria-selected", String(state.view === "dm"));
  $("tab-channel").setAttribute("aria-selected", String(state.view === "channel"));
  const name = me ? me.name : data.person;
  $("dm-title").textContent = state.view === "dm" ? t.dm_with.replace("{name}", name) : `${t.channel_name} – ${name}`;
  $("text").placeholder = t.placeholder;
  $("send").textContent = t.send;
  $("hint").textContent = state.view === "dm" ? t.hint : t.channel_hint;
  $("replying").hidden = !(state.view === "channel" && state.thread);
  $("replying-text").textContent = t.replying_to;
  $("stop-replying").textContent = t.stop_replying;
  renderPeople(data.people, t);
  // Like a chat app: another person or view opens at its newest message, and a new
  // message scrolls into view, unless the reader has scrolled up to read.
  const place = [state.person, state.view].join("\u0000");
  const count = messageCount(data);
  const follow = place !== state.place || (count > state.count && state.nearBottom);
  if (state.view === "dm") renderMessages(data.messages, t);
  else renderChannel(data.channel, t);
  state.place = place;
  state.count = count;
  if (follow) toNewest();
}

function messageCount(data) {
  if (state.view === "dm") return data.messages.length;
  return data.channel.reduce((n, post) => n + 1 + (post.replies ? post.replies.length : 0), 0);
}

function nearBottom() {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 80;
}

function toNewest() {
  window.scrollTo(0, document.documentElement.scrollHeight);
  state.nearBottom = true;
}

// The header's height, for what sticks below it (the people's list).
function measureHeader() {
  document.documentElement.style.setProperty("--header", $("top").offsetHeight + "px");
}

async function refresh() {
  const response = await fetch("/api/state?person=" + encodeURIComponent(state.person), { cache: "no-store" });
  if (!response.ok) return;
  const text = await response.text();
  // Draw again only what changed: a redraw every second would take the reader's scroll
  // position, a selection or a button being pressed away with it.
  const shown = [state.person, state.view, state.thread, text].join("\u0000");
  if (shown === state.shown) return;
  state.shown = shown;
  state.data = JSON.parse(text);
  render(state.data);
}

async function post(path, body) {
  await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  setTimeout(refresh, 150);
}

function press(messageId, button, where, thread, pick) {
  state.nearBottom = nearBottom();
  const picked = pick === undefined ? {} : { pick, picks: button.picks };
  post("/api/click", { person: state.person, message_id: messageId, action: button.action, value: button.value,
                       where: where || "dm", thread: thread || null, ...picked });
}

function show(view) {
  state.view = view;
  state.thread = null;
  history.replaceState(null, "", `?person=${state.person}&view=${view}`);
  refresh();
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  $("text").value = "";
  state.nearBottom = true; // what one writes, and the answer to it, are read at the bottom
  post("/api/say", { person: state.person, text, where: state.view, thread: state.view === "channel" ? state.thread : null,
                     id: crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()) });
});
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
});
// Clock moves go one after the other: a second "Til næste hændelse" asks for the next event
// only once the first one has happened (the server answers after its tick).
let clockMoves = Promise.resolve();
for (const button of document.querySelectorAll("[data-advance]")) {
  // Moving the clock is asked to show what it made happen: the newest message.
  button.addEventListener("click", () => {
    state.nearBottom = true;
    clockMoves = clockMoves.then(() => post("/api/clock", { advance: button.dataset.advance }));
  });
}
$("tab-dm").addEventListener("click", () => show("dm"));
$("tab-channel").addEventListener("click", () => show("channel"));
$("stop-replying").addEventListener("click", () => { state.thread = null; render(state.data); });
$("language").addEventListener("click", () => {
  if (!state.data) return; // not loaded yet: the switch does not know which way to go
  post("/api/language", { language: state.data.language === "da" ? "en" : "da" });
});

window.addEventListener("scroll", () => { state.nearBottom = nearBottom(); }, { passive: true });
new ResizeObserver(measureHeader).observe($("top"));
measureHeader();
refresh();
setInterval(refresh, 1000);
