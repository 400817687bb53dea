// TalkWeb: a Swift Talk server that serves a page and `multisocket.js` on its ws port, and talks with the
// page both ways.
//
//   swift run TalkWeb                  self-check: serve on a free port, drive headless Chromium through the
//                                      page, print what happened, exit 0 when every exchange succeeded
//   swift run TalkWeb serve HOST:PORT  serve http://HOST:PORT/talk/ until interrupted
import Foundation
import MultiSocketTalk
import MultiSocketTalkWebKit

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "serve", let hostPort = arguments.dropFirst().first {
    let journal = Journal()
    let talk = makeServer(journal)
    let address = try listen(talk, on: hostPort)
    journal.note("open http://\(address.host ?? hostPort):\(address.port ?? 0)/talk/ in a browser")
    try await talk.run()
} else if arguments.isEmpty {
    exit(try await selfCheck() ? 0 : 1)
} else {
    print("usage: TalkWeb [serve HOST:PORT]")
    exit(2)
}
