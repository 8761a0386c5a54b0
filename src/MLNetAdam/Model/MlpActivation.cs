namespace MLNetAdam.Model;

/// <summary>
/// The nonlinearity applied after every hidden layer of the network. Initialization follows the trainer's
/// <c>Options.WeightInitialization</c> (Glorot-uniform by default, as scikit-learn's; He for the ReLU family and GELU on request).
/// </summary>
public enum MlpActivation
{
    /// <summary><c>max(0, x)</c>. The default.</summary>
    Relu = 0,

    /// <summary><c>x</c> for <c>x &gt; 0</c>, else <c>0.01 x</c> (PyTorch's default slope).</summary>
    LeakyRelu = 1,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 2,

    /// <summary>Logistic sigmoid <c>1 / (1 + e^-x)</c>.</summary>
    Sigmoid = 3,

    /// <summary>
    /// Gaussian error linear unit in its tanh form,
    /// <c>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>, as PyTorch's <c>GELU(approximate="tanh")</c>.
    ///
    /// </summary>
    Gelu = 4,
}
