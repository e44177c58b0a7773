/// The order in which every payload holds a file's tokens (spec §13): round i holds token i of
/// every tile, tiles row-major, so that a file cut anywhere keeps every tile's tokens to the same
/// depth; a coded payload then codes each token's groups from group 0 (§15.2). The writers and
/// readers of both codings, the tables of sizes and cut points, and the cost estimates all walk a
/// file in this order, through this type.
public struct TokenOrder: Sequence {
    /// A token's place: its index in its tile's sequence (the round), and its tile.
    public struct Place: Equatable {
        public let round: Int
        public let tile: Int
        /// The round's last token: the round is complete after it.
        public let endsRound: Bool
    }

    public let rounds: Int
    public let tiles: Int

    public init(rounds: Int, tiles: Int) {
        precondition(rounds >= 0 && tiles >= 0, "TokenOrder: \(rounds) rounds of \(tiles) tiles")
        self.rounds = rounds
        self.tiles = tiles
    }

    public struct Iterator: IteratorProtocol {
        let rounds: Int, tiles: Int
        var round = 0, tile = 0

        public mutating func next() -> Place? {
            guard round < rounds && tiles > 0 else { return nil }
            let place = Place(round: round, tile: tile, endsRound: tile == tiles - 1)
            tile += 1
            if tile == tiles {
                tile = 0
                round += 1
            }
            return place
        }
    }

    public func makeIterator() -> Iterator { Iterator(rounds: rounds, tiles: tiles) }
    public var underestimatedCount: Int { rounds * tiles }
}
