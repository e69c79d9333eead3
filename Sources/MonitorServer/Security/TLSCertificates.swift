import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The server's certificate chain and key (SPEC §10: HTTPS and WSS), read from their PEM files. `reload()`
/// reads them again (on SIGHUP): connections made from then on get the new certificate; the listener and the
/// connections already open go on as they were. Files that do not load leave the certificate in use as it is.
public final class TLSCertificates: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let context: Mutex<NIOSSLContext>

    /// Refuses to start on files that do not load: one line naming the setting.
    public init(certificatePath: String, keyPath: String) throws(TLSCertificateError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        context = Mutex(try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath))
    }

    public func reload() throws(TLSCertificateError) {
        let fresh = try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath)
        context.withLock { $0 = fresh }
    }

    var current: NIOSSLContext { context.withLock { $0 } }

    static func makeContext(certificatePath: String, keyPath: String) throws(TLSCertificateError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSCertificateError("invalid WAKEDOCK_TLS_CERT=\"\(certificatePath)\": expected a readable PEM certificate chain")
        }
        guard !chain.isEmpty else {
            throw TLSCertificateError("invalid WAKEDOCK_TLS_CERT=\"\(certificatePath)\": expected a readable PEM certificate chain")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSCertificateError("invalid WAKEDOCK_TLS_KEY=\"\(keyPath)\": expected a readable PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSCertificateError("invalid WAKEDOCK_TLS_KEY=\"\(keyPath)\": the key does not go with WAKEDOCK_TLS_CERT (\(error))")
        }
    }
}

public struct TLSCertificateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A child channel speaking TLS with the certificate `TLSCertificates` holds when the connection arrives. The
/// TLS handler goes first in the pipeline once the inner channel has built its own (the HTTP guard's sniffer
/// included), so everything after it sees plain HTTP.
struct ReloadableTLSChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let certificates: TLSCertificates

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = certificates.current
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
