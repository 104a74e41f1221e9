import Testing
@testable import Engine

@Test func versionIsSet() { #expect(!EngineVersion.string.isEmpty) }
