/// A property a fuzz harness checks that did not hold for an input: a decoder bug even though nothing
/// crashed (a consumed count past the bytes available, a size over the configured limit, a result that
/// depends on how the stream was split into reads).
package struct FuzzViolation: Error, CustomStringConvertible {
    /// What did not hold.
    package var description: String

    /// Creates a violation saying `description`.
    package init(_ description: String) {
        self.description = description
    }

    /// Throws a violation saying `message()` unless `condition` holds.
    @inline(__always)
    package static func check(
        _ condition: Bool,
        _ message: @autoclosure () -> String
    ) throws(FuzzViolation) {
        if !condition { throw FuzzViolation(message()) }
    }
}
