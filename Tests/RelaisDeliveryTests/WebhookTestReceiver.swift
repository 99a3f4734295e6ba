// A real HTTP receiver for the webhook tests: SwiftNIO on 127.0.0.1, an ephemeral port,
// recording every request and answering from a script (statuses, headers, large bodies,
// or never answering at all).

import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One request the receiver got.
struct WebhookReceivedRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]

    var path: String { String(uri.prefix { $0 != "?" }) }
    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Every value of the header `name`, in the order sent.
    func values(_ name: String) -> [String] { headers[name] }
}

/// How the receiver answers one request.
enum WebhookReply: Sendable {
    /// A status with headers and `bodyBytes` bytes of body (sent in 64 KiB chunks).
    case status(Int, headers: [(String, String)] = [], bodyBytes: Int = 0)
    /// Never answers: the connection stays open until the receiver is shut down.
    case hang

    static let ok = WebhookReply.status(200)
}

/// An HTTP server on 127.0.0.1 that records requests and answers from a script: replies
/// for a path are taken first from `byPath[path]`, then from `script`, then 200.
final class WebhookTestReceiver: @unchecked Sendable {
    private let state: WebhookReceiverState
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let lock = NSLock()
    private var stopped = false

    let port: Int

    init(script: [WebhookReply] = [], byPath: [String: [WebhookReply]] = [:]) throws {
        let state = WebhookReceiverState(script: script, byPath: byPath)
        self.state = state
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(WebhookRequestHandler(state: state))
                }
            }
        let bound: any Channel
        do {
            bound = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        guard let port = bound.localAddress?.port else {
            try? bound.close().wait()
            try? group.syncShutdownGracefully()
            throw WebhookReceiverError.noPort
        }
        serverChannel = bound
        self.port = port
    }

    /// `http://127.0.0.1:<port><path>`.
    func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The requests received so far, in arrival order.
    var requests: [WebhookReceivedRequest] { state.requests }

    /// Closes the listening socket and every connection. Safe to call twice.
    func shutdown() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        try? serverChannel.close().wait()
        try? group.syncShutdownGracefully()
    }

    deinit { shutdown() }
}

enum WebhookReceiverError: Error {
    case noPort
}

/// What the receiver got and what it has left to say, shared with its connections.
private final class WebhookReceiverState: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [WebhookReceivedRequest] = []
    private var script: [WebhookReply]
    private var byPath: [String: [WebhookReply]]

    init(script: [WebhookReply], byPath: [String: [WebhookReply]]) {
        self.script = script
        self.byPath = byPath
    }

    var requests: [WebhookReceivedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// Records `request` and returns the reply it gets.
    func receive(_ request: WebhookReceivedRequest) -> WebhookReply {
        lock.lock()
        defer { lock.unlock() }
        recorded.append(request)
        if var replies = byPath[request.path], !replies.isEmpty {
            let reply = replies.removeFirst()
            byPath[request.path] = replies
            return reply
        }
        if !script.isEmpty { return script.removeFirst() }
        return .ok
    }
}

/// Collects one request at a time and writes the scripted reply.
private final class WebhookRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: WebhookReceiverState
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(state: WebhookReceiverState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            let request = WebhookReceivedRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
            let reply = state.receive(request)
            respond(reply, keepAlive: head.isKeepAlive, context: context)
        }
    }

    private func respond(_ reply: WebhookReply, keepAlive: Bool, context: ChannelHandlerContext) {
        guard case .status(let code, let extra, let bodyBytes) = reply else { return }  // .hang: say nothing
        var headers = HTTPHeaders()
        for (name, value) in extra { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Length", value: String(bodyBytes))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: code), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var remaining = bodyBytes
        let chunkSize = 64 * 1024
        while remaining > 0 {
            let count = min(remaining, chunkSize)
            var buffer = context.channel.allocator.buffer(capacity: count)
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: count)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            remaining -= count
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
