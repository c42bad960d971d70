import Testing
@testable import Cluster

/// The ranks' binary messages: integers, doubles as exact bit patterns (NaN payloads and signed zeros included) and
/// integer lists round-trip; short, truncated or inconsistent buffers are `ClusterError.malformedMessage`, never a
/// crash.
@Suite struct MessageCodecTests {
    @Test func valuesRoundTripExactly() throws {
        let doubles = [0.0, -0.0, Double.leastNonzeroMagnitude, .pi, -.infinity, Double(bitPattern: 0x7FF8_0000_0000_1234)]
        var w = MessageWriter()
        w.write(Int.min)
        w.write(42)
        w.write([3, -1, Int.max])
        w.write(doubles)
        w.write([Int]())
        var r = MessageReader(w.bytes)
        #expect(try r.readInt() == Int.min && r.readInt() == 42)
        #expect(try r.readInts() == [3, -1, Int.max])
        #expect(try r.readDoubles().map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(try r.readInts().isEmpty)
        #expect(r.isAtEnd)
    }

    @Test func malformedBuffersAreErrors() throws {
        var short = MessageReader([1, 2, 3])
        #expect(throws: ClusterError.self) { try short.readInt() }
        var w = MessageWriter()
        w.write(1_000_000)
        w.write(7)
        var huge = MessageReader(w.bytes)
        #expect(throws: ClusterError.self) { try huge.readInts() }
        var negative = MessageWriter()
        negative.write(-5)
        var reader = MessageReader(negative.bytes)
        #expect(throws: ClusterError.self) { try reader.readDoubles() }
    }

    @Test func launchedSizeReadsTheLaunchersVariables() {
        #expect(MPIWorld.launchedSize(environment: [:]) == nil)
        #expect(MPIWorld.launchedSize(environment: ["OMPI_COMM_WORLD_SIZE": "4"]) == 4)
        #expect(MPIWorld.launchedSize(environment: ["PMI_SIZE": "2"]) == 2)
    }
}
