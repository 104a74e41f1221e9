/// The command-line tool's last finished simulation, left to the process's exit.
///
/// A finished simulation is a graph of millions of small objects (every stored object, the
/// informers' copies, kubelets, closures); freeing it object by object after a 100,000-node run
/// takes about 0.3 s, 3% of the whole process, and buys nothing when the process is about to end.
/// The tool sets ``enabled`` (as compilers skip freeing their trees before they exit); each
/// finished run then replaces the one kept before it, which is freed as usual, so a directory of
/// scenarios still holds one simulation at a time. Library users and tests leave it off.
public enum ExitTeardown {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) private static var kept: Simulation?

    /// Keeps `sim` to the end of the process when ``enabled`` (dropping the one kept before).
    static func keep(_ sim: Simulation) {
        guard enabled else { return }
        kept = sim
    }
}
