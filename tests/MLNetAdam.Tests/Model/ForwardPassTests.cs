using Xunit;

namespace MLNetAdam.Tests.Model;

/// <summary>One forward pass: the objective (training) and scoring (through the cached transposed weights) agree.</summary>
public sealed class ForwardPassTests
{
    [Theory]
    [InlineData(MlpActivation.Relu)]
    [InlineData(MlpActivation.Gelu)]
    [InlineData(MlpActivation.Sigmoid)]
    public void ScoringGivesTheObjectivesProbabilities(MlpActivation activation)
    {
        int[] sizes = [20, 33, 17, 4];
        var model = Persistence.OnnxExportTests.RandomModel(sizes, activation, seed: 5);
        var random = new Random(6);
        const int rows = 9;
        var x = Enumerable.Range(0, rows * sizes[0]).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        // Training's view: a batch through the objective's forward pass (logits of the whole batch).
        var training = new ForwardPass<float>(new ParameterLayout(sizes), activation, rows);
        var logits = training.Run(model.GetParameters(), x, rows).ToArray();

        // Scoring's view: one row at a time through the model (the register-blocked kernel over Wᵀ for wide layers).
        var pass = model.CreateForwardPass();
        var probabilities = new float[sizes[^1]];
        for (int r = 0; r < rows; r++)
        {
            model.Score(x.AsSpan(r * sizes[0], sizes[0]), probabilities, pass);
            var expected = logits.AsSpan(r * sizes[^1], sizes[^1]).ToArray();
            SoftmaxCrossEntropy.Softmax(expected);
            for (int c = 0; c < expected.Length; c++)
                Assert.Equal(expected[c], probabilities[c], 5);
        }
    }

    [Fact]
    public void APassRejectsMoreRowsThanItWasSizedFor()
    {
        var pass = new ForwardPass<float>(new ParameterLayout([3, 2]), MlpActivation.Relu, maxRows: 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => pass.Run(new float[8], new float[9], rows: 3));
    }
}
