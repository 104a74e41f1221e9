/// The command-line tool's last finished simulation, left to the process's exit.
///
/// A finished simulation is a graph of millions of small objects (every stored object, the
/// informers' copies, kubelets, closures); freeing it object by object after a 100,000-node run
/// takes about 0.3 s, 3% of the whole process, and buys nothing when the process is about to end.
/// The tool sets ``enabled`` (as compilers skip freeing their trees before they exit). A run
/// that starts frees the one kept before it first, so a directory of scenarios or a repeated
/// bench holds one simulation at a time and its peak memory is its own. Library users and tests
/// leave it off.
public enum ExitTeardown {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) private static var kept: Simulation?

    /// Keeps `sim` to the end of the process when ``enabled``.
    static func keep(_ sim: Simulation) {
        guard enabled else { return }
        kept = sim
    }

    /// Frees the simulation kept so far: a new run is starting. (Off, it touches nothing: the
    /// tests run scenarios on many threads at once; the tool runs one at a time.)
    static func dropKept() {
        guard enabled else { return }
        kept = nil
    }
}
