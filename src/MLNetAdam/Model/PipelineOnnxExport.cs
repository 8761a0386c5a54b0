using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Persistence.Onnx;

namespace MLNetAdam.Model;

/// <summary>
/// A fitted pipeline that contains an <see cref="AdamMlpTransformer"/> as one ONNX model: ML.NET's <c>ConvertToOnnx</c>
/// exports the transforms before the trainer, then the network is appended to that graph, reading its feature output.
/// </summary>
internal static class PipelineOnnxExport
{
    public static byte[] Export(ModelOperationsCatalog catalog, ITransformer model, IDataView inputData)
    {
        var transformers = Flatten(model).ToList();
        var networks = transformers.OfType<AdamMlpTransformer>().ToList();
        if (networks.Count != 1)
            throw new ArgumentException($"The pipeline holds {networks.Count} AdamMlpTransformer(s); exporting it to ONNX needs exactly one.", nameof(model));
        var mlp = networks[0];
        var before = transformers.TakeWhile(t => !ReferenceEquals(t, mlp)).ToArray();
        var network = mlp.Model;
        if (before.Length == 0)
            return OnnxExporter.Export(network.ToOnnx(), network.OnnxActivation, inputName: mlp.FeatureColumnName);

        byte[] transforms;
        try
        {
            using var stream = new MemoryStream();
            catalog.ConvertToOnnx(new TransformerChain<ITransformer>(before), inputData, stream);
            transforms = stream.ToArray();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException(
                $"ML.NET's ConvertToOnnx could not export the transforms before the trainer ({string.Join(", ", before.Select(t => t.GetType().Name))}): {e.GetType().Name}: {e.Message}", e);
        }
        return OnnxPipelineMerger.Append(
            transforms, $"{mlp.FeatureColumnName}.output", network.ToOnnx(), network.OnnxActivation, OnnxExporter.ProbabilitiesName, OnnxExporter.LabelName);
    }

    // A chain's transformers in order, nested chains opened.
    private static IEnumerable<ITransformer> Flatten(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
                foreach (var t in Flatten(inner))
                    yield return t;
        }
        else
        {
            yield return model;
        }
    }
}
