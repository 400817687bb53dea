// mscat: nngcat for MultiSocket. Parses the command line (MSCatCore), runs it (Runner) and exits with 0 when
// done, 1 on any error.
import Glibc
import MultiSocketCatCore

/// Runs `mscat` with `arguments` (without the program name) and returns the exit status.
func mscat(_ arguments: [String]) async -> Int32 {
    let options: Options
    do {
        switch try Options.parse(arguments) {
        case .help:
            Terminal.print(Usage.text)
            return 0
        case .version:
            Terminal.print(Usage.version + "\n")
            return 0
        case .run(let parsed):
            options = parsed
        }
    } catch {
        Terminal.error(error.description, notes: Usage.hint)
        return 1
    }
    do {
        try await Runner(options: options).run()
        return 0
    } catch {
        Terminal.error(Runner.describe(error))
        return 1
    }
}

exit(await mscat(Array(CommandLine.arguments.dropFirst())))
