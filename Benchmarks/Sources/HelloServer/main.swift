// Hummingbird's plain hello-world, the yardstick for `GET /containers` under wrk (see wrk-containers.sh).
import Hummingbird

let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8081
let router = Router()
router.get("hello") { _, _ in "Hello" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
