import ArgumentParser
import Engine
import Foundation
import Sim

/// `kruise-sim mutants`: the engine's deliberate defects, one line each.
struct Mutants: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mutants",
        abstract: "List the engine mutants (deliberate defects) that --mutant NAME turns on, for mutation testing of a scenario suite.",
        discussion: "Run a suite with each mutant on (kruise-sim run DIR --mutant NAME); a suite that still passes would not have caught that bug. See docs/mutants.md. Exit status: 0.")

    @Flag(help: "Also print the upstream issue or pull request of each bug class.") var verbose = false

    func run() throws {
        let width = Mutant.allCases.map(\.name.count).max() ?? 0
        for m in Mutant.allCases {
            let pad = String(repeating: " ", count: width - m.name.count)
            print("\(m.name)\(pad)  \(m.summary)" + (verbose ? " [\(m.upstream)]" : ""))
        }
    }
}

/// Parses `--mutant NAME` for any subcommand: nil when absent, exit 2 with a did-you-mean when unknown.
func parseMutantOption(_ name: String?, command: String) throws -> Mutant? {
    try parseNamedOption(name, command: command) { try Mutant.named($0) }
}

/// Parses `--faults PROFILE` for any subcommand: nil when absent, exit 2 with a did-you-mean when unknown.
func parseFaultsOption(_ name: String?, command: String) throws -> FaultProfile? {
    try parseNamedOption(name, command: command) { try FaultProfile.named($0) }
}

/// An option that names one of a fixed set: its error message goes to stderr and the exit status is 2.
private func parseNamedOption<T>(_ name: String?, command: String, _ parse: (String) throws -> T) throws -> T? {
    guard let name else { return nil }
    do {
        return try parse(name)
    } catch {
        FileHandle.standardError.write(Data("\(command): \(error)\n".utf8))
        throw ExitCode(2)
    }
}
