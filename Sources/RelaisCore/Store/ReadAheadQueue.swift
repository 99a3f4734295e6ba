import Foundation

/// A bounded queue of batches from one reading thread to one writing thread: what lets a
/// pipeline read (parse a file, step through the catalogue) on one core while it writes
/// (stores, exports, runs a filter) on another, with memory bounded by the queue's
/// capacity. The reading thread pushes elements; they cross in batches of `batchSize`.
///
/// The writer hands the batches it is done with back (``nextBatch(returning:)``), and the
/// reader releases them: freeing an imported event's many strings and arrays cost a tenth
/// of an import's writing thread, the busier of the two.
public final class ReadAheadQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private let batchSize: Int
    private let capacity: Int
    // Guarded by `condition`.
    private var batches: [[Element]] = []
    private var spentBatches: [[Element]] = []
    private var closed = false
    private var failure: (any Error)?
    private var readingStopped = false
    // The reading thread's own.
    private var filling: [Element] = []

    /// A queue of batches of `batchSize` elements, at most `capacity` batches waiting.
    public init(batchSize: Int, capacity: Int) {
        self.batchSize = batchSize
        self.capacity = capacity
        filling.reserveCapacity(batchSize)
    }

    /// Called by the reader: false when the writer has stopped and reading should end.
    public func push(_ element: consuming Element) -> Bool {
        filling.append(element)
        guard filling.count >= batchSize else { return true }
        var spent: [[Element]] = []
        let handed = hand(over: true, takingSpent: &spent)
        // Released here, on the reading thread, and outside the lock.
        spent.removeAll()
        return handed
    }

    /// Called by the reader at its end: what is left, and the reader's error if any.
    public func close(failure: (any Error)?) {
        var spent: [[Element]] = []
        if failure == nil { _ = hand(over: false, takingSpent: &spent) }
        spent.removeAll()
        condition.lock()
        closed = true
        self.failure = failure
        condition.broadcast()
        condition.unlock()
    }

    private func hand(over waitForRoom: Bool, takingSpent spent: inout [[Element]]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waitForRoom && batches.count >= capacity && !readingStopped { condition.wait() }
        swap(&spent, &spentBatches)
        if readingStopped { return false }
        if !filling.isEmpty {
            batches.append(filling)
            filling = []
            filling.reserveCapacity(batchSize)
            condition.broadcast()
        }
        return true
    }

    /// Called by the writer: the next batch; nil at the end; the reader's error. `spent`,
    /// the batch the writer is done with (left empty), goes back to the reader.
    public func nextBatch(returning spent: inout [Element]) throws -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        if !spent.isEmpty {
            spentBatches.append(spent)
            spent = []
        }
        while batches.isEmpty && !closed { condition.wait() }
        if !batches.isEmpty {
            let batch = batches.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// What a reader throws to stop when ``push(_:)`` says the writer has stopped.
    public struct WriterStopped: Error {
        public init() {}
    }

    /// Runs `read` on a thread of its own (it pushes into this queue), closing the queue
    /// when it ends with its error, if any. Returns what the writer calls when it stops,
    /// whatever the reason: the reader stops at its next push, and the call waits for it.
    public func startReading(threadName: String, _ read: @escaping @Sendable () throws -> Void) -> () -> Void {
        let readerDone = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            do {
                try read()
                close(failure: nil)
            } catch {
                close(failure: error is WriterStopped ? nil : error)
            }
            readerDone.signal()
        }
        thread.name = threadName
        thread.start()
        return { [self] in
            stopReading()
            readerDone.wait()
        }
    }

    /// Called by the writer when it stops, whatever the reason: the reader stops at its
    /// next event.
    public func stopReading() {
        condition.lock()
        readingStopped = true
        condition.broadcast()
        condition.unlock()
    }
}
