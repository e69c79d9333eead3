import Logging
import MonitorServer
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads the TLS certificate and key from their files (`TLSCertificates.reload`): the listener stays,
/// open connections go on, new ones get the new certificate; files that do not load leave the old one in use
/// (logged). Without TLS, SIGHUP is only logged: it never stops the daemon.
struct CertificateReloader: Service {
    let certificates: TLSCertificates?
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                guard let certificates else {
                    logger.notice("SIGHUP: no TLS certificate to reload")
                    continue
                }
                do {
                    try certificates.reload()
                    logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(certificates.certificatePath)"])
                } catch {
                    logger.error("TLS certificate not reloaded; the one in use stays", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
