// The chat's page: open http://localhost:8888/ in a browser. It joins a room over a WebSocket,
// follows the same room as an EventSource, and shows both (the browser test reads window.report).
#pragma once

namespace chat {

inline constexpr const char* kPage = R"html(<!doctype html>
<meta charset="utf-8">
<title>gale chat</title>
<form id="say"><input id="text" placeholder="say something" autofocus> <button>send</button></form>
<p>WebSocket:</p><ul id="ws"></ul>
<p>Event stream:</p><ul id="sse"></ul>
<script>
const room = new URLSearchParams(location.search).get("room") || "lobby";
const report = window.report = {open: false, ws: [], sse: [], closed: null};
const add = (id, text) => {
  const li = document.createElement("li");
  li.textContent = text;
  document.getElementById(id).append(li);
};
const ws = new WebSocket(`ws://${location.host}/ws/${encodeURIComponent(room)}`);
ws.onopen = () => { report.open = true; ws.send(JSON.stringify({text: "hello from a browser"})); };
ws.onmessage = (e) => { const m = JSON.parse(e.data); report.ws.push(m.text); add("ws", m.text); };
ws.onclose = (e) => { report.closed = e.code; };
const events = new EventSource(`/events/${encodeURIComponent(room)}`);
events.onmessage = (e) => { const m = JSON.parse(e.data); report.sse.push(m.text); add("sse", m.text); };
document.getElementById("say").onsubmit = (e) => {
  e.preventDefault();
  const input = document.getElementById("text");
  ws.send(JSON.stringify({text: input.value}));
  input.value = "";
};
</script>
)html";

}  // namespace chat
