import NIOCore

/// The first bytes of the request being read, kept so that a parser error can be told apart: NIO's decoder
/// reports both `GET / HTTP/2.0` and a bare-LF `GET / HTTP/1.1\n` as an invalid version, and both a made-up
/// method and binary garbage as an invalid method — but only the first of each pair deserves 505 or 501.
final class RequestLineRecord {
    static let capacity = 256
    private(set) var bytes: [UInt8] = []
    /// Set when a new request may start: the next bytes read are its first.
    var expectingRequest = true

    func record(_ buffer: ByteBuffer) {
        guard expectingRequest, bytes.count < Self.capacity else { return }
        bytes += buffer.readableBytesView.prefix(Self.capacity - bytes.count)
        if bytes.contains(UInt8(ascii: "\n")) || bytes.count >= Self.capacity { expectingRequest = false }
    }

    func reset() {
        bytes.removeAll(keepingCapacity: true)
        expectingRequest = true
    }

    /// The request line split at spaces (method, target, version), if one ended with a line feed.
    var requestLine: (method: ArraySlice<UInt8>, version: ArraySlice<UInt8>, bareLF: Bool)? {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let bareLF = newline == 0 || bytes[newline - 1] != UInt8(ascii: "\r")
        let line = bytes[..<(bareLF ? newline : newline - 1)]
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return (parts[0], parts[2], bareLF)
    }

    /// A method token as RFC 9110 allows it (tchar): letters, digits and a few marks.
    static func isToken(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}

/// Records the start of each request's bytes for `RequestLineRecord`; first in the pipeline, before the decoder.
final class RequestLineSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let record: RequestLineRecord

    init(record: RequestLineRecord) { self.record = record }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if record.expectingRequest { record.record(unwrapInboundIn(data)) }
        context.fireChannelRead(data)
    }
}
