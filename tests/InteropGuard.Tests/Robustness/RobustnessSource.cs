using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// One input of the robustness suite: a C# file that is mutated, compiled on its own together with its companions
    /// (files that stay as they are, such as the LibraryImport generator output a corpus case stands for).
    /// </summary>
    /// <param name="Name">Where it comes from, stable across runs (a failure names it so it can be replayed).</param>
    public sealed record RobustnessSource(string Name, string Text, IReadOnlyList<string> Companions, string? EditorConfig, OutputKind OutputKind)
    {
        public override string ToString() => Name;
    }
}
