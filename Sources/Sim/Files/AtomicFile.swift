import Foundation

/// Output files (trace, reports, JUnit) are written whole or not at all: into a temporary file in
/// the same directory (so the final rename stays on one file system), then renamed over the target.
/// A run that fails or is killed half way leaves the previous file as it was, never half a file.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// A new temporary path next to `path`: `DIR/.NAME.tmp-UNIQUE`, hidden, so a glob of the
    /// directory's results does not pick up one in progress.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        return (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
    }

    /// Moves a finished temporary file over `path` (rename(2): atomic on POSIX file systems).
    public static func commit(_ temporary: String, to path: String) throws(WriteError) {
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "cannot write \(path): \(reason)")
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws(WriteError) {
        let temporary = temporaryPath(for: path)
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            unlink(temporary)
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            let reason = FileManager.default.fileExists(atPath: dir) ? error.localizedDescription : "no such directory \(dir)"
            throw WriteError(description: "cannot write \(path): \(reason)")
        }
        try commit(temporary, to: path)
    }

    public static func write(_ text: String, to path: String) throws(WriteError) {
        try write(Data(text.utf8), to: path)
    }
}
