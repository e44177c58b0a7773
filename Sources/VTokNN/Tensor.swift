import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// A row-major float32 array with a shape. A class, not a struct: layers own their output and
/// gradient tensors and overwrite them in place every step, so a training loop allocates nothing
/// after its first step and there is no copy-on-write to trip over.
///
/// Ownership rule used by every layer: the tensor `forward` returns belongs to the layer and stays
/// valid until that layer's next `forward`; likewise for `backward`. A layer keeps a reference to its
/// input for `backward`, so callers must not overwrite an input between forward and backward.
public final class Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public let capacity: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Set on views made by `reshaped`: keeps the storage's owner alive.
    private let storageOwner: Tensor?

    /// Zero-filled.
    public init(shape: [Int]) {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.count = count
        capacity = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        storageOwner = nil
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "Tensor: \(values.count) values for shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    private init(viewOf owner: Tensor, shape: [Int]) {
        self.shape = shape
        count = owner.count
        capacity = owner.count
        pointer = owner.pointer
        storageOwner = owner.storageOwner ?? owner
    }

    deinit {
        if storageOwner == nil { pointer.deallocate() }
    }

    /// The same storage under another shape with as many elements: (B, T, C) as (B·T, C).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) to \(newShape)")
        return Tensor(viewOf: self, shape: newShape)
    }

    /// A copy of the elements, for tests and I/O.
    public var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    /// Elements per leading index: the size of the last dimension.
    public var rowLength: Int { shape.last ?? 1 }
    /// Product of all dimensions but the last.
    public var rows: Int { count / max(rowLength, 1) }

    /// Returns `slot` with its shape set to `shape`, allocating only when it is missing or too small,
    /// so that buffers survive across steps and across smaller batches. Contents are unspecified.
    public static func reuse(_ slot: inout Tensor?, shape: [Int]) -> Tensor {
        let needed = shape.reduce(1, *)
        if let tensor = slot, tensor.storageOwner == nil, tensor.capacity >= needed {
            tensor.shape = shape
            tensor.count = needed
            return tensor
        }
        let tensor = Tensor(shape: shape)
        slot = tensor
        return tensor
    }
}

extension Tensor {
    /// A new tensor with this 4-D one's layout changed: (B, C, H, W) to (B, H, W, C) when `toLast`,
    /// (B, H, W, C) to (B, C, H, W) otherwise.
    public func transposedChannels(toLast: Bool) -> Tensor {
        precondition(shape.count == 4, "transposedChannels: shape \(shape) is not 4-D")
        let batch = shape[0], channels = toLast ? shape[1] : shape[3], pixels = count / max(batch * channels, 1)
        let result = Tensor(shape: toLast ? [batch, shape[2], shape[3], channels] : [batch, channels, shape[1], shape[2]])
        for b in 0..<batch {
            let from = pointer + b * channels * pixels, to = result.pointer + b * channels * pixels
            for c in 0..<channels {
                for p in 0..<pixels {
                    if toLast { to[p * channels + c] = from[c * pixels + p] } else { to[c * pixels + p] = from[p * channels + c] }
                }
            }
        }
        return result
    }
}

/// A raw pointer that may cross into `concurrentPerform` workers, which write disjoint ranges.
public struct SendablePointer: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}

/// Work splitting for the 2 cores. Element-wise passes smaller than `minimumParallelWork`
/// elements stay on the calling thread: waking a worker costs more than they do.
public enum Parallel {
    /// The cores this process may use (affinity and cgroup quota, as Foundation reads them).
    public static let workerCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    static let minimumParallelWork = 1 << 15

    /// Runs `body` over `0..<count` split into contiguous chunks, one per worker.
    /// `workPerItem` scales the threshold: rows of 256 floats are worth parallelising sooner.
    public static func forChunks(_ count: Int, workPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        forChunks(count, workPerItem: workPerItem) { range, _ in body(range) }
    }

    /// As `forChunks`, also telling each chunk which worker (0..<workerCount) runs it, so that it can
    /// use that worker's scratch buffers.
    static func forChunks(_ count: Int, workPerItem: Int, _ body: (Range<Int>, Int) -> Void) {
        let chunks = count * workPerItem < minimumParallelWork ? 1 : min(workerCount, count)
        if chunks <= 1 {
            body(0..<count, 0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                box.value(start..<end, chunk)
            }
        }
    }
}

struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
