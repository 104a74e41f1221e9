import Foundation
import NIOCore
import Engine
import Sim

/// `kruise-sim serve` without its command line: a loaded scenario served over HTTP until its
/// duration ends or ``stop(_:)`` is called. ``run()`` blocks the calling thread, which becomes the
/// simulation thread.
public final class ServeSession: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let scenario: Scenario
    public let sim: Simulation
    public let cluster: LiveCluster
    private let server = HTTPServer()
    private let sink: SQLiteTrace?
    private let tracePath: String?
    /// `http://ADDRESS:PORT`, the port as bound.
    public let url: String

    /// Loads nothing itself: `scenario` is already loaded. Binds the port (0: any free one) and
    /// writes the kubeconfig, so a client can connect as soon as this returns.
    public init(scenario: Scenario, address: String, port: Int, speed: Double, kubeconfig: String?, trace: String?) throws(Failure) {
        self.scenario = scenario
        tracePath = trace
        if let trace {
            do { sink = try SQLiteTrace(path: trace, scenario: scenario) } catch { throw Failure(description: "\(trace): cannot write trace: \(error)") }
        } else {
            sink = nil
        }
        sim = Simulation(scenario: scenario, trace: sink)
        cluster = LiveCluster(sim: sim, speed: speed)
        let bound: Int
        do {
            bound = try server.start(address: address, port: port) { [cluster] req, out in cluster.submit(req, out) }
        } catch {
            server.stop()
            // NIO's text for a bind error is its syscall's ("bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)").
            let why: String
            if let e = error as? IOError {
                switch e.errnoCode {
                case EADDRINUSE: why = "the port is in use (another process listens there); choose another --port, or 0 for any free one"
                case EADDRNOTAVAIL: why = "\(address) is not an address of this machine"
                case EACCES: why = "permission denied (ports below 1024 need privileges)"
                default: why = String(cString: strerror(e.errnoCode))
                }
            } else {
                why = "\(error)"
            }
            throw Failure(description: "cannot listen on \(address):\(port): \(why)")
        }
        let host = address.contains(":") ? "[\(address)]" : address
        url = "http://\(host):\(bound)"
        if let kubeconfig {
            do { try AtomicFile.write(Self.kubeconfig(server: url), to: kubeconfig) } catch {
                server.stop()
                throw Failure(description: "\(kubeconfig): cannot write the kubeconfig: \(error)")
            }
        }
    }

    /// Asks ``run()`` to stop (any thread).
    public func stop(_ reason: String) { cluster.stop(reason) }

    /// Serves until the end or ``stop(_:)``, then closes the server and finishes the run (and its
    /// trace). Returns why it stopped and the outcome of the checks that came due.
    public func run() throws(Failure) -> (reason: String, outcome: RunOutcome) {
        let why = cluster.run()
        cluster.drain()
        server.stop()
        let outcome = sim.finish(interrupted: sim.now < sim.end)
        if let tracePath, let e = sink?.finishError { throw Failure(description: "\(tracePath): \(e)") }
        return (why, outcome)
    }

    /// A kubeconfig for a plain-HTTP server with no authentication.
    public static func kubeconfig(server: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kruise-sim
          cluster:
            server: \(server)
        users:
        - name: kruise-sim
          user: {}
        contexts:
        - name: kruise-sim
          context:
            cluster: kruise-sim
            user: kruise-sim
            namespace: default
        current-context: kruise-sim
        preferences: {}

        """
    }
}
