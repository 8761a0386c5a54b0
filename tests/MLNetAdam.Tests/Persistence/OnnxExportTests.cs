using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Persistence;

public sealed class OnnxExportTests
{
    private const float Tolerance = 1e-5f;
    private readonly ITestOutputHelper _output;

    public OnnxExportTests(ITestOutputHelper output) => _output = output;

    /// <summary>A network with random weights large enough to drive every activation into its nonlinear range.</summary>
    internal static AdamMlpModelParameters RandomModel(int[] sizes, MlpActivation activation, int seed, string[]? classNames = null)
    {
        var layout = new ParameterLayout(sizes);
        var random = new Random(seed);
        var parameters = new float[layout.ParameterCount];
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = (float)(3 * random.NextDouble() - 1.5);
        classNames ??= Enumerable.Range(0, sizes[^1]).Select(c => $"class {c}").ToArray();
        return new AdamMlpModelParameters(layout, activation, parameters, classNames, []);
    }

    internal static AdamMlpTransformer Wrap(AdamMlpModelParameters model) =>
        new(new MLContext(seed: 1), model, "Features", new VectorDataViewType(NumberDataViewType.Single, model.InputSize), new DataViewSchema.Annotations.Builder().ToAnnotations());

    internal static byte[] Export(AdamMlpTransformer transformer)
    {
        using var stream = new MemoryStream();
        transformer.ExportToOnnx(stream);
        return stream.ToArray();
    }

    private static float[] RandomRows(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * columns];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(6 * random.NextDouble() - 3);
        return x;
    }

    /// <summary>Runs the exported model through ONNX Runtime: probabilities [rows, classes] and labels [rows].</summary>
    internal static (float[] Probabilities, long[] Labels) RunOnnx(byte[] onnx, float[] features, int rows, int inputs)
    {
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(features, [rows, inputs]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExporter.FeaturesName], [input], [OnnxExporter.ProbabilitiesName, OnnxExporter.LabelName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<long>().ToArray());
    }

    [Theory]
    [InlineData(MlpActivation.Relu)]
    [InlineData(MlpActivation.LeakyRelu)]
    [InlineData(MlpActivation.Tanh)]
    [InlineData(MlpActivation.Sigmoid)]
    [InlineData(MlpActivation.Gelu)]
    public void OnnxRuntimeReproducesTheManagedForwardPass(MlpActivation activation)
    {
        int[] sizes = [7, 12, 9, 5];
        var model = RandomModel(sizes, activation, seed: 11);
        const int rows = 200;
        var features = RandomRows(rows, sizes[0], seed: 12);

        var (probabilities, labels) = RunOnnx(Export(Wrap(model)), features, rows, sizes[0]);

        Assert.Equal(rows * model.ClassCount, probabilities.Length);
        Assert.Equal(rows, labels.Length);
        double maxDeviation = 0;
        for (int r = 0; r < rows; r++)
        {
            var expected = model.PredictProbabilities(features.AsSpan(r * sizes[0], sizes[0]));
            for (int c = 0; c < expected.Length; c++)
                maxDeviation = Math.Max(maxDeviation, Math.Abs(expected[c] - probabilities[r * expected.Length + c]));
            // The first most probable class, as the managed PredictedLabel (key = index + 1).
            int best = 0;
            for (int c = 1; c < expected.Length; c++)
                best = expected[c] > expected[best] ? c : best;
            Assert.Equal(best, labels[r]);
        }
        _output.WriteLine($"{activation}: max |ONNX Runtime - managed| = {maxDeviation:E2}");
        Assert.True(maxDeviation <= Tolerance, $"{activation}: ONNX Runtime differs from the managed forward pass by {maxDeviation:E2}.");
    }

    [Fact]
    public void ExportedModelMatchesTheTrainedTransformerScores()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(40, seed: 1));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [8, 6],
                Activation = MlpActivation.Gelu,
                Optimizer = new AdamOptimizer { LearningRate = 0.01f },
                BatchSize = 16,
                NumberOfEpochs = 10,
                Seed = 3,
            }))
            .Fit(data);
        var test = SyntheticData.Blobs(20, seed: 2);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(test));
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();

        var features = test.SelectMany(r => r.Features).ToArray();
        var (probabilities, labels) = RunOnnx(Export(model.LastTransformer), features, test.Count, 4);

        double maxDeviation = 0;
        for (int r = 0; r < test.Count; r++)
        {
            for (int c = 0; c < 3; c++)
                maxDeviation = Math.Max(maxDeviation, Math.Abs(scores[r][c] - probabilities[r * 3 + c]));
            Assert.Equal(predicted[r], (uint)labels[r] + 1);
        }
        _output.WriteLine($"trained 4-8-6-3 GELU: max |ONNX Runtime - Score| = {maxDeviation:E2}");
        Assert.True(maxDeviation <= Tolerance, $"max deviation {maxDeviation:E2}");
    }

    [Fact]
    public void ExportedBinaryModelHasASigmoidOutputThatMatchesTheTransformer()
    {
        var ml = new MLContext(seed: 1);
        var options = new AdamMlpBinaryTrainer.Options { HiddenLayerSizes = [8], Activation = MlpActivation.Tanh, Optimizer = new AdamOptimizer { LearningRate = 0.01f }, BatchSize = 16, NumberOfEpochs = 10, Seed = 3 };
        var model = new AdamMlpBinaryTrainer(ml, options).Fit(ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(100, seed: 1)));
        var test = SyntheticData.BinaryBlobs(30, seed: 2);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(test));
        var scores = scored.GetColumn<float>("Score").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();

        byte[] onnx = Export(model);
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(test.SelectMany(r => r.Features).ToArray(), [test.Count, 4]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExporter.FeaturesName], [input], [OnnxExporter.ScoreName, OnnxExporter.ProbabilityName, OnnxExporter.LabelName]);
        Assert.Equal(new long[] { test.Count, 1 }, outputs[0].GetTensorTypeAndShape().Shape);
        var onnxScores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var onnxProbabilities = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        var onnxLabels = outputs[2].GetTensorDataAsSpan<bool>().ToArray();
        for (int r = 0; r < test.Count; r++)
        {
            Assert.True(Math.Abs(scores[r] - onnxScores[r]) <= Tolerance * Math.Max(1, Math.Abs(scores[r])), $"row {r}: score {scores[r]} vs {onnxScores[r]}");
            Assert.True(Math.Abs(probabilities[r] - onnxProbabilities[r]) <= Tolerance, $"row {r}: probability {probabilities[r]} vs {onnxProbabilities[r]}");
            if (Math.Abs(scores[r]) > 1e-4)
                Assert.Equal(predicted[r], onnxLabels[r]);
        }

        var read = AdamMlpModelParameters.LoadFromOnnx(new MemoryStream(onnx));
        Assert.Equal(MlpTask.BinaryClassification, read.Task);
        Assert.Equal(model.Model.GetParameters(), read.GetParameters());
    }

    [Fact]
    public void ExportedRegressionModelHasAnIdentityOutputInTheLabelsUnits()
    {
        var ml = new MLContext(seed: 1);
        var options = new AdamMlpRegressionTrainer.Options { HiddenLayerSizes = [8], Optimizer = new AdamOptimizer { LearningRate = 0.01f }, BatchSize = 16, NumberOfEpochs = 10, Seed = 3 };
        var model = new AdamMlpRegressionTrainer(ml, options).Fit(ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(100, seed: 1)));
        var test = SyntheticData.RegressionRows(30, seed: 2);
        var scores = model.Transform(ml.Data.LoadFromEnumerable(test)).GetColumn<float>("Score").ToArray();

        byte[] onnx = Export(model);
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(test.SelectMany(r => r.Features).ToArray(), [test.Count, 4]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExporter.FeaturesName], [input], [OnnxExporter.ScoreName]);
        var onnxScores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        for (int r = 0; r < test.Count; r++)
            Assert.True(Math.Abs(scores[r] - onnxScores[r]) <= Tolerance * Math.Max(1, Math.Abs(scores[r])), $"row {r}: {scores[r]} vs {onnxScores[r]}");
        Assert.InRange(onnxScores.Average(), 100, 200);

        var read = AdamMlpModelParameters.LoadFromOnnx(new MemoryStream(onnx));
        Assert.Equal(MlpTask.Regression, read.Task);
        Assert.Empty(read.ClassNames);
        Assert.Equal(model.Model.GetParameters(), read.GetParameters());
    }

    [Fact]
    public void ExportedModelDescribesItsInputsOutputsAndNetwork()
    {
        var model = RandomModel([4, 3, 2], MlpActivation.Tanh, seed: 1, ["no", "yes"]);
        using var session = new InferenceSession(Export(Wrap(model)));

        var input = session.InputMetadata[OnnxExporter.FeaturesName];
        Assert.Equal([-1, 4], input.Dimensions);
        Assert.Equal("N", input.SymbolicDimensions[0]);
        Assert.Equal([-1, 2], session.OutputMetadata[OnnxExporter.ProbabilitiesName].Dimensions);
        Assert.Equal([-1], session.OutputMetadata[OnnxExporter.LabelName].Dimensions);
        Assert.Equal(typeof(long), session.OutputMetadata[OnnxExporter.LabelName].ElementType);

        var metadata = session.ModelMetadata;
        Assert.Equal("MLNetAdam", metadata.ProducerName);
        Assert.Equal(OnnxExporter.FormatValue, metadata.CustomMetadataMap[OnnxExporter.FormatKey]);
        Assert.Equal("4,3,2", metadata.CustomMetadataMap[OnnxExporter.LayerSizesKey]);
        Assert.Equal("Tanh", metadata.CustomMetadataMap[OnnxExporter.ActivationKey]);
        Assert.Equal("[\"no\",\"yes\"]", metadata.CustomMetadataMap[OnnxExporter.ClassNamesKey]);
    }

    [Theory]
    [InlineData(MlpActivation.Relu)]
    [InlineData(MlpActivation.Gelu)]
    public void ReaderRecoversTheExactNetwork(MlpActivation activation)
    {
        // Class names that would break a comma- or line-separated encoding.
        string[] names = ["a,b", "two\nlines", "quote \" and \\", "ünïcödé 😀", ""];
        var model = RandomModel([6, 5, 4, 5], activation, seed: 3, names);

        var read = AdamMlpModelParameters.LoadFromOnnx(new MemoryStream(Export(Wrap(model))));

        Assert.Equal(model.LayerSizes, read.LayerSizes);
        Assert.Equal(activation, read.Activation);
        Assert.Equal(names, read.ClassNames);
        Assert.Empty(read.TrainingHistory);
        Assert.Equal(
            model.GetParameters().Select(BitConverter.SingleToInt32Bits),
            read.GetParameters().Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void NetworkWithoutHiddenLayersRoundTrips()
    {
        var model = RandomModel([3, 4], MlpActivation.Gelu, seed: 5);
        byte[] onnx = Export(Wrap(model));
        var features = RandomRows(10, 3, seed: 6);
        var (probabilities, _) = RunOnnx(onnx, features, 10, 3);
        for (int r = 0; r < 10; r++)
        {
            var expected = model.PredictProbabilities(features.AsSpan(r * 3, 3));
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(expected[c] - probabilities[r * 4 + c]) <= Tolerance);
        }
        Assert.Equal(model.GetParameters(), AdamMlpModelParameters.LoadFromOnnx(new MemoryStream(onnx)).GetParameters());
    }

    [Fact]
    public void ExportIsDeterministicAndSurvivesARoundTrip()
    {
        var model = RandomModel([5, 7, 3], MlpActivation.LeakyRelu, seed: 8);
        byte[] first = Export(Wrap(model));
        byte[] second = Export(Wrap(model));
        Assert.Equal(first, second);

        var read = AdamMlpModelParameters.LoadFromOnnx(new MemoryStream(first));
        Assert.Equal(first, Export(Wrap(read)));
    }

    [Fact]
    public void ExportToPathReplacesTheFileAndLeavesNothingElse()
    {
        string folder = Directory.CreateTempSubdirectory("mlnetadam-onnx-").FullName;
        try
        {
            string path = Path.Combine(folder, "model.onnx");
            File.WriteAllText(path, "an older file");
            var model = RandomModel([4, 3, 2], MlpActivation.Sigmoid, seed: 2);
            Wrap(model).ExportToOnnx(path);

            Assert.Equal([path], Directory.GetFiles(folder));
            Assert.Equal(Export(Wrap(model)), File.ReadAllBytes(path));
            Assert.Equal(model.GetParameters(), AdamMlpModelParameters.LoadFromOnnx(path).GetParameters());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TruncatedFilesAreRejected()
    {
        byte[] onnx = Export(Wrap(RandomModel([4, 5, 3], MlpActivation.Relu, seed: 4)));
        for (int length = 0; length < onnx.Length; length++)
            AssertRejected(onnx[..length], $"truncated to {length} of {onnx.Length} bytes");
    }

    [Fact]
    public void EveryFlippedBitIsDetected()
    {
        byte[] onnx = Export(Wrap(RandomModel([4, 5, 3], MlpActivation.Tanh, seed: 4)));
        for (int i = 0; i < onnx.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] corrupt = (byte[])onnx.Clone();
                corrupt[i] ^= (byte)(1 << bit);
                AssertRejected(corrupt, $"bit {bit} of byte {i} flipped");
            }
        }

        var random = new Random(17);
        for (int trial = 0; trial < 1000; trial++)
        {
            byte[] corrupt = (byte[])onnx.Clone();
            int at = random.Next(corrupt.Length);
            byte value = (byte)random.Next(256);
            if (value == corrupt[at])
                continue;
            corrupt[at] = value;
            AssertRejected(corrupt, $"byte {at} set to {value}");
        }
    }

    [Fact]
    public void ForeignAndFutureFilesAreRejected()
    {
        AssertRejected([], "empty");
        AssertRejected(Encoding.UTF8.GetBytes("ir_version: 7\ngraph { }\n"), "text");
        var random = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            var noise = new byte[random.Next(1, 3000)];
            random.NextBytes(noise);
            AssertRejected(noise, $"random bytes #{trial}");
        }

        // A well-formed ONNX model without our metadata.
        var foreign = new ProtobufWriter();
        foreign.WriteInt64(OnnxProto.Model.IrVersion, 7);
        foreign.WriteString(OnnxProto.Model.ProducerName, "someone else");
        foreign.WriteMessage(OnnxProto.Model.Graph, g => g.WriteString(OnnxProto.Graph.Name, "g"));
        var error = AssertRejected(foreign.ToArray(), "foreign ONNX model");
        Assert.Contains(OnnxExporter.FormatKey, error.Message);

        // A hypothetical later version with a valid checksum.
        byte[] onnx = Export(Wrap(RandomModel([4, 3], MlpActivation.Relu, seed: 1)));
        byte[] future = Replace(onnx, "AdamMlp/1", "AdamMlp/2");
        error = AssertRejected(ResealChecksum(future), "format version 2");
        Assert.Contains("AdamMlp/2", error.Message);

        // A valid checksum does not make inconsistent metadata acceptable.
        byte[] wrongSizes = ResealChecksum(Replace(onnx, "mlnetadam.layer_sizes\u0012\u00034,3", "mlnetadam.layer_sizes\u0012\u00034,2"));
        error = AssertRejected(wrongSizes, "layer sizes that do not match the class names");
        Assert.Contains("class names", error.Message);
    }

    private static InvalidDataException AssertRejected(byte[] bytes, string what)
    {
        try
        {
            AdamMlpModelParameters.LoadFromOnnx(new MemoryStream(bytes));
        }
        catch (InvalidDataException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: expected InvalidDataException, got {e.GetType().Name}: {e.Message}");
        }
        Assert.Fail($"{what}: the corrupt model loaded without an error.");
        return null!;
    }

    private static byte[] Replace(byte[] bytes, string from, string to)
    {
        byte[] f = Encoding.UTF8.GetBytes(from), t = Encoding.UTF8.GetBytes(to);
        Assert.Equal(f.Length, t.Length);
        int at = bytes.AsSpan().IndexOf(f);
        Assert.True(at >= 0, $"'{from}' not found");
        var copy = (byte[])bytes.Clone();
        t.CopyTo(copy, at);
        return copy;
    }

    // The checksum entry is the last 86 bytes: tag, length, key (2 + 16 bytes) and value (2 + 64 hex digits).
    private static byte[] ResealChecksum(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        string hash = Convert.ToHexStringLower(SHA256.HashData(copy.AsSpan(0, copy.Length - 86)));
        Encoding.ASCII.GetBytes(hash).CopyTo(copy, copy.Length - 64);
        return copy;
    }
}
