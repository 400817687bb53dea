import MultiSocketCatCore
import Testing

/// The output formats, byte for byte.
@Suite("mscat formats", .timeLimit(.minutes(1)))
struct FormatTests {
    static let sample: [UInt8] = Array("a\"b\\c\n\r\t ~".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xFF]

    private func text(_ format: Format) -> String {
        String(decoding: format.render(Self.sample), as: UTF8.self)
    }

    @Test("no format prints nothing")
    func silent() {
        #expect(Format.silent.render(Self.sample).isEmpty)
    }

    @Test("raw writes the bytes unchanged, without a newline")
    func raw() {
        #expect(Format.raw.render(Self.sample) == Self.sample)
    }

    @Test("ascii replaces unprintable bytes with '.', one message per line")
    func ascii() {
        #expect(text(.ascii) == "a\"b\\c... ~.....\n")
    }

    @Test("quoted is a C string literal")
    func quoted() {
        #expect(text(.quoted) == #""a\"b\\c\n\r\t ~\x00\x1f\x7f\x80\xff""# + "\n")
    }

    @Test("hex escapes every byte")
    func hex() {
        #expect(Format.hex.render([0x00, 0x41, 0xFE]) == Array(#""\x00\x41\xfe""#.utf8) + [0x0A])
        #expect(text(.hex).hasPrefix(#""\x61\x22\x62"#))
    }

    @Test("an empty message is still a line in the line formats")
    func empty() {
        #expect(Format.ascii.render([]) == [0x0A])
        #expect(Format.quoted.render([]) == Array("\"\"\n".utf8))
        #expect(Format.hex.render([]) == Array("\"\"\n".utf8))
        #expect(Format.raw.render([]).isEmpty)
    }
}
