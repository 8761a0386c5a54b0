using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MLNetAdam.Tests.Data;

/// <summary>One set of column rules: the estimator's shape check and Fit's schema check give the same message.</summary>
public sealed class ColumnChecksTests
{
    private sealed class Row
    {
        public float Label { get; set; }

        [VectorType(3)]
        public double[] Features { get; set; } = [];

        public float[] Ragged { get; set; } = [];

        public int Weight { get; set; }
    }

    [Theory]
    [InlineData("label", "Label")]
    [InlineData("features", "Features")]
    [InlineData("features", "Ragged")]
    [InlineData("features", "Missing")]
    [InlineData("weight", "Weight")]
    public void ShapeAndSchemaChecksAgree(string rule, string column)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Features = [1, 2, 3], Ragged = [1] } });
        var shape = Training.SchemaShapes.Of(ml, data);
        Action<ColumnChecks.Column?, string> check = rule switch
        {
            "label" => (c, n) => ColumnChecks.Label(c, n),
            "features" => ColumnChecks.Features,
            _ => (c, n) => ColumnChecks.Weight(c, n),
        };
        var fromShape = Assert.ThrowsAny<ArgumentException>(() => check(ColumnChecks.Find(shape, column), column));
        var fromSchema = Assert.ThrowsAny<ArgumentException>(() => check(ColumnChecks.Find(data.Schema, column), column));
        Assert.Contains($"'{column}'", fromSchema.Message);
        // The same rule fires with the same advice; only the spelling of the type may differ between the two schemas.
        Assert.Equal(fromSchema.Message.Split(',')[0].Split(" has type")[0], fromShape.Message.Split(',')[0].Split(" has type")[0]);
    }
}
