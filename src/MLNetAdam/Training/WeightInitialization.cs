namespace MLNetAdam.Training;

/// <summary>How the trainer draws the starting weights (uniform, biases zero; the softmax layer is always Glorot).</summary>
public enum WeightInitialization
{
    /// <summary>
    /// Glorot (Xavier) uniform, bound √(6 / (fan-in + fan-out)) (√(2 / …) before a sigmoid), as scikit-learn's
    /// <c>MLPClassifier</c>. The default: with it the defaults match scikit-learn's on small tabular data.
    /// </summary>
    Glorot = 0,

    /// <summary>He (Kaiming) uniform, bound √(6 / fan-in), for layers before the ReLU family and GELU (Glorot for the others).</summary>
    He = 1,
}
