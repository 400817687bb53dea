import MultiSocketTalk
/// The page TalkWeb serves at `/talk/`: it imports `multisocket.js` from the same listener, calls the
/// server's `greet`, answers the server's call into the page (`page.describe`), collects the server's
/// notifications, and sets `data-status` on its `<body>` ("ok", or "error: …") — and tells the server the
/// same with a `status` notification.
enum Page {
    static let html = #"""
<!doctype html>
<html>
<head><meta charset="utf-8"><title>Talk from a page</title></head>
<body data-status="pending">
<h1>Talk from a page</h1>
<ul id="log"></ul>
<script type="module">
const log = (line) => {
  const item = document.createElement('li');
  item.textContent = line;
  document.getElementById('log').append(item);
};
const base = location.pathname.replace(/\/(index\.html)?$/, '');
let talk;
try {
  const { Talk } = await import(base + '/multisocket.js');
  talk = new Talk((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base);
  let served;
  let lost;
  const servedNote = new Promise((resolve, reject) => { served = resolve; lost = reject; });
  talk.onStateChange((state) => { if (state === 'closed') lost(new Error('connection lost')); });
  const news = [];
  talk.onNotification('news', (note) => { news.push(note.text()); log('news: ' + note.text()); });
  talk.onNotification('served', (note) => served(note.text()));
  talk.handleJSON('page.describe', (question) => {
    log('the server asked: ' + question.ask);
    return { title: document.title, items: document.querySelectorAll('li').length };
  });
  await talk.connect();
  log('connected');
  const reply = await talk.callJSON('greet', { name: 'page' });
  log('greet: ' + reply.greeting);
  if (reply.greeting !== 'hello, page') throw new Error('unexpected greeting ' + reply.greeting);
  const described = await servedNote;
  log('served: ' + described);
  if (news.length !== 2) throw new Error('expected 2 notifications, got ' + news.length);
  document.body.dataset.status = 'ok';
} catch (error) {
  document.body.dataset.status = 'error: ' + (error && error.message || error);
}
log('status: ' + document.body.dataset.status);
// Report the status, after reconnecting if the connection was lost on the way.
try {
  if (talk) {
    try { talk.notify('status', document.body.getAttribute('data-status')); }
    catch { await talk.connect(); talk.notify('status', document.body.getAttribute('data-status')); }
  }
} catch (error) { log('cannot report: ' + error); }
</script>
</body>
</html>
"""#
}
