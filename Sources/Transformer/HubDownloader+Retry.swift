import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Bounded waits: every request has a timeout, a request that times out or loses its connection is tried again
/// (`attempts` in all, with a short pause), and while a server stays silent the user hears about it every
/// `heartbeat` seconds instead of watching a frozen terminal.
extension HubDownloader {
    /// Runs `body` up to `attempts` times while it fails with a transient network error (timeout, dropped
    /// connection), telling `notice` about each retry. The last error is returned with the number of attempts, in
    /// words (`describe(_:)`).
    func withAttempts<T>(
        _ url: URL, timeout: TimeInterval, _ body: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as TransformerError {
                throw error
            } catch {
                let reason = describe(error, url: url, timeout: timeout)
                guard attempt < attempts, Self.isTransient(error) else {
                    let tries = attempt > 1 ? " (tried \(attempt) times)" : ""
                    throw TransformerError.downloadFailed(url: url.absoluteString, reason: reason + tries)
                }
                let pause = Double(attempt)
                notice?("\(reason) (attempt \(attempt) of \(attempts)); trying again in \(Int(pause)) s")
                try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
                attempt += 1
            }
        }
    }

    /// Starts a task that tells `notice` every `heartbeat` seconds how long `host` has kept us waiting for `file`;
    /// cancel it when the answer arrives.
    func waitingNotices(file: String, url: URL) -> Task<Void, Never>? {
        guard let notice, heartbeat > 0 else { return nil }
        let interval = heartbeat
        let host = Self.hostName(url)
        return Task {
            var waited = 0.0
            while !Task.isCancelled {
                do {
                    try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                } catch {
                    return
                }
                waited += interval
                notice("waiting for \(host) to answer (\(file)): \(Int(waited.rounded())) s")
            }
        }
    }

    /// Timeouts, dropped connections and transfers cut short are worth another try; a refused connection, a bad
    /// URL, a cancelled request or a security failure are not (HTTP error statuses never reach here: they are
    /// `TransformerError`s already).
    static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? URLError else { return false }
        switch error.code {
        case .cancelled, .badURL, .unsupportedURL, .cannotConnectToHost, .userAuthenticationRequired,
             .userCancelledAuthentication, .secureConnectionFailed, .serverCertificateUntrusted,
             .serverCertificateHasBadDate, .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot,
             .clientCertificateRejected, .clientCertificateRequired, .cannotCreateFile, .cannotWriteToFile,
             .fileDoesNotExist, .fileIsDirectory, .noPermissionsToReadFile, .httpTooManyRedirects,
             .redirectToNonExistentLocation:
            return false
        default:
            return true
        }
    }

    /// A network failure in words, naming the host and, for a timeout, how long it was given.
    func describe(_ error: any Error, url: URL, timeout: TimeInterval) -> String {
        let host = Self.hostName(url)
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .timedOut: return "no answer from \(host) within \(Self.seconds(timeout))"
        case .networkConnectionLost: return "\(host) closed the connection"
        case .cannotConnectToHost: return "cannot connect to \(host) (connection refused)"
        case .cannotFindHost, .dnsLookupFailed: return "cannot find the host \(host)"
        case .notConnectedToInternet: return "no network connection"
        case .badServerResponse, .cannotParseResponse: return "\(host) sent an answer that is not HTTP"
        default: return "\(error.localizedDescription) (network error \(error.code.rawValue))"
        }
    }

    static func hostName(_ url: URL) -> String {
        let host = url.host ?? url.absoluteString
        return url.port.map { "\(host):\($0)" } ?? host
    }

    static func seconds(_ t: TimeInterval) -> String {
        t == t.rounded() ? "\(Int(t)) s" : String(format: "%.1f s", t)
    }
}
