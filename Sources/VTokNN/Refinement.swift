/// y = x[:, :outputChannels] + conv₂(GELU(conv₁(x))), on (B, C, H, W) images.
///
/// A convolutional head after a patch decoder: the transformer writes each patch on its own, so
/// patch borders and fine texture come out blocky; two 3×3 convolutions over the decoded pixels
/// and extra feature channels (the channels past `outputChannels`) correct each pixel from its
/// neighbourhood across patch borders. The second convolution starts at zero, so an untrained head
/// passes the first channels through unchanged and a model gains the head without losing what it
/// already decodes.
public final class ConvolutionalRefinement: Layer {
    public let outputChannels: Int
    private let branch: Sequential
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(name: String, inputChannels: Int, hiddenChannels: Int, outputChannels: Int, rng: inout SeededRandom) {
        precondition(outputChannels <= inputChannels, "ConvolutionalRefinement: \(outputChannels) outputs from \(inputChannels) channels")
        self.outputChannels = outputChannels
        let last = Conv2d(name: name + ".conv2", inputChannels: hiddenChannels, outputChannels: outputChannels,
                          kernelSize: 3, padding: 1, rng: &rng)
        last.weight.value = [Float](repeating: 0, count: last.weight.count)
        branch = Sequential([
            Conv2d(name: name + ".conv1", inputChannels: inputChannels, outputChannels: hiddenChannels,
                   kernelSize: 3, padding: 1, rng: &rng),
            Activation(.gelu),
            last,
        ])
    }

    public var parameters: [Parameter] { branch.parameters }

    public func forward(_ x: Tensor) -> Tensor {
        let correction = branch.forward(x)
        let batch = x.shape[0], plane = x.shape[2] * x.shape[3], kept = outputChannels * plane
        let y = Tensor.reuse(&output, shape: [batch, outputChannels, x.shape[2], x.shape[3]])
        for b in 0..<batch {
            let source = x.pointer + b * x.count / batch, target = y.pointer + b * kept, delta = correction.pointer + b * kept
            for i in 0..<kept { target[i] = source[i] + delta[i] }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let dBranch = branch.backward(dOut)
        let dx = Tensor.reuse(&inputGradient, shape: dBranch.shape)
        dx.copy(from: dBranch)
        let batch = dOut.shape[0], kept = dOut.count / batch
        for b in 0..<batch {
            let target = dx.pointer + b * dx.count / batch, source = dOut.pointer + b * kept
            for i in 0..<kept { target[i] += source[i] }
        }
        return dx
    }
}
