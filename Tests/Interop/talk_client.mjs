// The Talk JavaScript client against a Swift Talk server, in Node (run with --experimental-websocket on Node 20).
// Usage: node --experimental-websocket talk_client.mjs <ws url> <http url of multisocket.js>
// Fetches the script from the server (checking its ETag and 304), imports it, and prints one line per check.
const [url, scriptURL] = process.argv.slice(2);
const out = (what, value) => console.log(`${what}: ${value}`);
const fail = (why) => { console.log(`FAILED: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), 20000).unref();

const first = await fetch(scriptURL);
if (first.status !== 200) fail(`GET ${scriptURL}: ${first.status}`);
const etag = first.headers.get('etag');
const source = await first.text();
const again = await fetch(scriptURL, { headers: { 'If-None-Match': etag } });
out('http', `${first.status} ${first.headers.get('content-type')} then ${again.status} same-etag=${again.headers.get('etag') === etag}`);

// Imported from a file of its own, as a page would from the server (stack traces then name it).
const { mkdtempSync, writeFileSync } = await import('node:fs');
const { join } = await import('node:path');
const { tmpdir } = await import('node:os');
const file = join(mkdtempSync(join(tmpdir(), 'talk-')), 'multisocket.mjs');
writeFileSync(file, source);
const { Talk, TalkError, text } = await import(file);
process.on('unhandledRejection', (error) => fail(`unhandled: ${error}`));
const talk = new Talk(url, { heartbeatInterval: 200, missedHeartbeats: 100, load: () => 0.25 });
talk.handle('ask', (request) => `node (asked ${request.text()})`);
talk.handleJSON('double', (value) => value * 2);
const greeted = new Promise((resolve) => talk.onNotification('greeted', (note) => resolve(note.text())));
const doubled = new Promise((resolve) => talk.onNotification('doubled', (note) => resolve(note.json())));
const beatSeen = new Promise((resolve) => talk.onNotification('beat-seen', (note) => resolve(Number(note.text()))));
const beat = new Promise((resolve) => talk.onHeartbeat((heartbeat) => { if (!heartbeat.isHello) resolve(heartbeat); }));
await talk.connect();

out('greet', (await talk.callJSON('greet', { name: 'js', count: 1 })).name);
out('hello', text(await talk.call('hello', 'hi')));
out('greeted', await greeted);
try { await talk.call('fail', ''); fail('fail did not fail'); } catch (error) {
  out('fail', `${error instanceof TalkError} ${error.code} ${error.detail}`);
}
try { await talk.call('missing', ''); fail('missing did not fail'); } catch (error) { out('missing', error.code); }
const counted = [];
for await (const part of talk.stream('count', '4', { sendsParts: false })) counted.push(text(part));
out('stream', counted.join(','));
const upload = talk.stream('sum');
for (const value of [1, 2, 3, 4]) await upload.sendJSON(value);
upload.finish();
out('sum', await upload.nextJSON());
talk.notify('ready', 'now');
out('doubled', await doubled);
const heartbeat = await beat;
out('heartbeat', `interval=${heartbeat.interval}`);
out('server saw heartbeat', (await beatSeen).toFixed(2));
talk.close();
out('done', 'ok');
process.exit(0);
