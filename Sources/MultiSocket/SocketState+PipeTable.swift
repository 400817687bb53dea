@_spi(Internals) import MultiSocketConnector

extension SocketState {
    /// Where a pipe's record sits in the ``PipeTable`` and the id of the pipe that had the slot when the
    /// reference was taken. The idle ring keeps these, so that picking an idle pipe on every to-one send
    /// costs an array index instead of a hash; a slot freed and reused by a later pipe no longer matches the
    /// id, so a stale reference reads as a removed pipe.
    struct PipeRef {
        let slot: Int32
        let id: UInt32
    }

    /// The socket's pipes: records in reusable slots, found by id through one hash (``subscript(_:)``) or,
    /// on the hot paths, directly by a ``PipeRef``. A value type with no locking of its own: it lives in the
    /// socket state, under the socket's lock.
    struct PipeTable {
        private var slots: [PipeRecord?] = []
        private var freeSlots: [Int32] = []
        private var slotOfID: [UInt32: Int32] = [:]

        /// How many pipes the table holds.
        var count: Int { slotOfID.count }

        /// Every record, in slot order.
        var records: LazyMapSequence<LazyFilterSequence<LazyMapSequence<[PipeRecord?], PipeRecord?>>, PipeRecord> {
            slots.lazy.compactMap { $0 }
        }

        /// The record of pipe `id`. Setting a record adds or replaces it; setting `nil` removes it and frees
        /// its slot. Changes made through optional chaining (`table[id]?.busy = true`) happen in place.
        subscript(id: UInt32) -> PipeRecord? {
            get {
                guard let slot = slotOfID[id] else { return nil }
                return slots[Int(slot)]
            }
            _modify {
                if let slot = slotOfID[id] {
                    yield &slots[Int(slot)]
                    if slots[Int(slot)] == nil { free(slot, id: id) }
                } else {
                    var added: PipeRecord?
                    yield &added
                    if let added { insert(added) }
                }
            }
        }

        /// The reference to pipe `id`'s slot, if the table holds it.
        func ref(_ id: UInt32) -> PipeRef? {
            slotOfID[id].map { PipeRef(slot: $0, id: id) }
        }

        /// Whether `ref` still names the pipe it was taken for.
        func holds(_ ref: PipeRef) -> Bool {
            slots[Int(ref.slot)]?.id == ref.id
        }

        /// The record `ref` names; it must hold (``holds(_:)``).
        subscript(ref: PipeRef) -> PipeRecord {
            get { slots[Int(ref.slot)]! }
            _modify { yield &slots[Int(ref.slot)]! }
        }

        /// Removes pipe `id` and returns its record, if the table held it.
        mutating func removeValue(forKey id: UInt32) -> PipeRecord? {
            guard let slot = slotOfID[id] else { return nil }
            let record = slots[Int(slot)]
            slots[Int(slot)] = nil
            free(slot, id: id)
            return record
        }

        private mutating func insert(_ record: PipeRecord) {
            let slot: Int32
            if let reused = freeSlots.popLast() {
                slot = reused
                slots[Int(slot)] = record
            } else {
                slot = Int32(slots.count)
                slots.append(record)
            }
            slotOfID[record.id] = slot
        }

        private mutating func free(_ slot: Int32, id: UInt32) {
            slotOfID[id] = nil
            freeSlots.append(slot)
        }
    }
}
