using MLNetAdam.Model;

namespace Microsoft.ML;

/// <summary>Whole-pipeline ONNX export for pipelines that contain MLNetAdam's network: <c>mlContext.Model.ConvertToOnnxWithAdamMlp(...)</c>.</summary>
public static class AdamMlpModelOperations
{
    /// <summary>
    /// Writes a fitted pipeline that contains an <see cref="AdamMlpTransformer"/> as one ONNX model: the transforms
    /// before the trainer as ML.NET's <c>ConvertToOnnx</c> exports them (the raw input columns are the model's inputs),
    /// followed by the network. The outputs are those of <see cref="AdamMlpTransformer.ExportToOnnx(Stream)"/>: for a
    /// multiclass model <c>probabilities</c> (float [N, classes], equal to <c>Score</c>) and <c>label</c> (int64 [N], the
    /// 0-based class; <see cref="AdamMlpModelParameters.ClassNames"/> names it); for a binary model <c>score</c>,
    /// <c>probability</c> (float [N, 1]) and <c>label</c> (bool [N, 1]); for regression <c>score</c> (float [N, 1]).
    /// Transforms after the trainer (such as <c>MapKeyToValue</c>) are not exported.
    /// </summary>
    /// <remarks>
    /// <c>mlContext.Model.ConvertToOnnx</c> alone cannot do this: ML.NET's ONNX export interface is internal, so it
    /// leaves the network out. A transform ML.NET cannot export (its converter fails on some, for example
    /// <c>FeaturizeText</c> with its default text normalizer in ML.NET 5.0.1) gives an <see cref="InvalidOperationException"/>
    /// that names it. ML.NET's export of text featurization reads one document per run: score such a model one row at
    /// a time. Verified with ONNX Runtime against <c>Transform</c> (to 1.2e-7) for a normalizer pipeline and for
    /// <c>FeaturizeText</c> with word n-grams on text kept as it is.
    /// </remarks>
    /// <param name="catalog"><c>mlContext.Model</c>.</param>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputData">Data with the pipeline's input schema (ML.NET reads it for the column types).</param>
    /// <param name="stream">Where the model is written; left open.</param>
    public static void ConvertToOnnxWithAdamMlp(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputData);
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(PipelineOnnxExport.Export(catalog, model, inputData));
    }
}
