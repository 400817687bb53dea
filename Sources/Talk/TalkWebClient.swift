/// The browser (and Node) client of Talk, `multisocket.js`: one ES module with no dependencies, embedded
/// in the library so that a ws listener can serve it on its own port (``resources(adding:)``).
///
/// `talk.socket.listen("ws://0.0.0.0:8080/talk", options: …webResources = TalkWebClient.resources())` serves
/// it at `http://host:8080/talk/multisocket.js` with an ETag (a reload that has it gets `304 Not Modified`),
/// and a page does `import { Talk } from './talk/multisocket.js'`. Values only: any thread.
public enum TalkWebClient {
    /// The name the script is served under.
    public static let fileName = "multisocket.js"

    /// `multisocket.js` plus `files`, for ``/MultiSocketConnector/EndpointOptions/webResources``.
    public static func resources(adding files: WebResources = WebResources()) -> WebResources {
        var resources = files
        resources.add(fileName, contentType: "text/javascript; charset=utf-8", body: Array(source.utf8))
        return resources
    }
}
