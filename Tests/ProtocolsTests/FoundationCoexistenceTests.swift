import Foundation
import MultiSocketProtocols
import Testing

/// An application that imports Foundation and MultiSocket together can still say `Pipe`: the library's pipe
/// type is `MessagePipe`. This file compiling is the test; the body checks it is Foundation's pipe.
struct FoundationCoexistenceTests {
    @Test func foundationsPipeIsNotAmbiguous() throws {
        let pipe = Pipe()
        try pipe.fileHandleForWriting.write(contentsOf: Data("x".utf8))
        #expect(pipe.fileHandleForReading.availableData == Data("x".utf8))
        let ours: MessagePipe? = nil
        #expect(ours == nil)
    }
}
