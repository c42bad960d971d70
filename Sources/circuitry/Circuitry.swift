import ArgumentParser

@main
struct Circuitry: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "circuitry",
        abstract: "Automated circuit discovery for transformer language models.",
        version: version,
        subcommands: [
            DiscoverCommand.self, AttributeCommand.self, VerifyCommand.self, CompareCommand.self, EvaluateCommand.self,
            PatchCommand.self, ComposeCommand.self,
            PromptsCommand.self, ForwardCommand.self, InfoCommand.self, DownloadCommand.self,
        ]
    )
}
