/// kruise-sim's version, printed by `kruise-sim --version` and written into reports and traces.
public enum KruiseSimVersion {
    public static let current = "0.6.0"
}
