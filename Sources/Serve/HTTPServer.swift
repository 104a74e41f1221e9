import Foundation
import NIOCore
import NIOPosix
import NIOHTTP1

/// One HTTP request as the simulation thread sees it: the whole body, already read.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path, percent-decoded, without the query.
    public var path: String
    /// The query's parameters, percent-decoded; a repeated name keeps its first value.
    public var query: [String: String]
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public init(method: String, uri: String, headers: [(String, String)], body: [UInt8]) {
        self.method = method
        self.headers = headers
        self.body = body
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts.first ?? "").removingPercentEncoding ?? String(parts.first ?? "")
        var q: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ s: Substring) -> String {
                    let plus = s.replacingOccurrences(of: "+", with: " ")
                    return plus.removingPercentEncoding ?? plus
                }
                let k = decode(kv[0])
                if q[k] == nil { q[k] = kv.count > 1 ? decode(kv[1]) : "" }
            }
        }
        query = q
    }
}

/// The way back to one client: a whole response, or a chunked stream (a watch). Safe to call
/// from any thread: every write goes to the connection's event loop, in call order.
public final class Responder: @unchecked Sendable {
    let channel: Channel
    let keepAlive: Bool
    private let lock = NSLock()
    private var closeHandlers: [@Sendable () -> Void] = []
    private var closed = false
    private var streaming = false

    init(channel: Channel, keepAlive: Bool) {
        self.channel = channel
        self.keepAlive = keepAlive
    }

    /// Whether the client has gone.
    public var isClosed: Bool { lock.withLock { closed } }

    /// Calls `f` once when the connection closes (at once if it has).
    public func onClose(_ f: @escaping @Sendable () -> Void) {
        let now: Bool = lock.withLock {
            if closed { return true }
            closeHandlers.append(f)
            return false
        }
        if now { f() }
    }

    func connectionClosed() {
        let handlers: [@Sendable () -> Void] = lock.withLock {
            if closed { return [] }
            closed = true
            defer { closeHandlers = [] }
            return closeHandlers
        }
        for h in handlers { h() }
    }

    /// Sends a whole response.
    public func send(status: Int, contentType: String = "application/json", body: [UInt8], extraHeaders: [(String, String)] = []) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Cache-Control", value: "no-cache, private")
        for (k, v) in extraHeaders { headers.add(name: k, value: v) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        let channel = self.channel
        let keepAlive = self.keepAlive
        var buffer = channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        let payload = buffer
        channel.eventLoop.execute {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(payload)), promise: nil)
            let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
        }
    }

    public func send(status: Int, json: String) {
        send(status: status, body: Array(json.utf8))
    }

    /// Starts a chunked response (a watch stream).
    public func startStream(status: Int = 200, contentType: String = "application/json") {
        lock.withLock { streaming = true }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
        }
    }

    /// Stream chunks handed to the connection and not yet written to its socket.
    private var pendingChunks = 0
    /// The most a client may fall behind on a stream before it is cut off (the API server drops a
    /// watcher that does not keep up too; the client watches again from its last resourceVersion).
    public static let maxPendingChunks = 10_000

    /// One chunk of a stream, flushed at once. A client that has not read `maxPendingChunks`
    /// chunks is disconnected, so one stalled watcher cannot hold unbounded memory.
    public func stream(_ bytes: [UInt8]) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        stream(buffer)
    }

    /// One chunk of a stream from a buffer (shared, not copied, when several streams send it).
    public func stream(_ payload: ByteBuffer) {
        let tooFar: Bool = lock.withLock {
            pendingChunks += 1
            return pendingChunks > Self.maxPendingChunks
        }
        let channel = self.channel
        if tooFar {
            channel.close(promise: nil)
            return
        }
        channel.eventLoop.execute { [self] in
            channel.write(HTTPServerResponsePart.body(.byteBuffer(payload))).whenComplete { [self] _ in
                lock.withLock { pendingChunks -= 1 }
            }
            // One flush (one writev) for the chunks queued so far, not one per chunk: the flush
            // task runs after every write task already on the loop.
            if !flushScheduled {
                flushScheduled = true
                channel.eventLoop.execute { [self] in
                    flushScheduled = false
                    channel.flush()
                }
            }
        }
    }
    /// Whether a flush is queued on the event loop (touched on the event loop only).
    private var flushScheduled = false

    /// Ends a stream after `seconds` of wall time (a watch's `timeoutSeconds`).
    public func endStream(afterWallSeconds seconds: Double) {
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Ends a stream; the connection closes after it (a watch connection is not reused).
    public func endStream() {
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// Reads whole requests off one connection and hands each to `handle`.
final class HTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handle: @Sendable (HTTPRequest, Responder) -> Void
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    private var responders: [Responder] = []
    /// The largest request body accepted (a manifest is a few KB; this guards memory).
    static let maxBody = 8 << 20

    init(handle: @escaping @Sendable (HTTPRequest, Responder) -> Void) {
        self.handle = handle
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            tooLarge = false
        case .body(var buf):
            if body.count + buf.readableBytes <= Self.maxBody, let bytes = buf.readBytes(length: buf.readableBytes) {
                body.append(contentsOf: bytes)
            } else {
                tooLarge = true
            }
        case .end:
            guard let h = head else { return }
            head = nil
            let responder = Responder(channel: context.channel, keepAlive: h.isKeepAlive)
            responders.removeAll { $0.isClosed }
            responders.append(responder)
            if tooLarge {
                body = []
                let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the request body is larger than 8 MiB","reason":"RequestEntityTooLarge","code":413}"#
                return responder.send(status: 413, json: status)
            }
            let headers = h.headers.map { ($0.name, $0.value) }
            let request = HTTPRequest(method: h.method.rawValue, uri: h.uri, headers: headers, body: body)
            body = []
            handle(request, responder)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for r in responders { r.connectionClosed() }
        responders = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A plain HTTP/1.1 server on one event-loop thread.
public final class HTTPServer: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    private var channel: Channel?

    public init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Binds `address:port` (port 0 picks a free one) and returns the bound port.
    public func start(address: String, port: Int, handle: @escaping @Sendable (HTTPRequest, Responder) -> Void) throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(HTTPHandler(handle: handle))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let ch = try bootstrap.bind(host: address, port: port).wait()
        channel = ch
        return ch.localAddress?.port ?? port
    }

    /// Closes the listening socket and every connection, and stops the event loop.
    public func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }
}
