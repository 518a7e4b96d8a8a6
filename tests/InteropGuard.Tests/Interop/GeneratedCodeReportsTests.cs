using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// <see cref="GeneratedCodeReports"/> without the member that holds the report, which IG1001 always knows: the
    /// declarations around the location are then found from the syntax, and must give the driver's answer.
    /// </summary>
    public class GeneratedCodeReportsTests
    {
        private const string Source = @"using System.CodeDom.Compiler;
class Ordinary
{
    int Plain() => 1 + 2;
    [GeneratedCode(""tool"", ""1"")]
    int Marked { get { return 3 + 4; } }
    int Local()
    {
        return Inner();
        [GeneratedCode(""tool"", ""1"")]
        static int Inner() => 5 + 6;
    }
    [GeneratedCode(""tool"", ""1"")]
    int _field = 7 + 8;
}
[GeneratedCode(""tool"", ""1"")]
class Tool
{
    int Run() => 9 + 10;
}
";

        [Theory]
        [InlineData("1 + 2", false)]
        [InlineData("3 + 4", true)]
        [InlineData("5 + 6", false)]
        [InlineData("7 + 8", true)]
        [InlineData("9 + 10", true)]
        public void TheDeclarationsAroundALocationDecide(string expression, bool dropped)
        {
            var tree = CSharpSyntaxTree.ParseText(Source, new CSharpParseOptions(LanguageVersion.Latest), "/0/Ordinary.cs");
            var compilation = CSharpCompilation.Create("Reports", new[] { tree }, ReferenceAssemblies.Framework);
            var reports = new GeneratedCodeReports(compilation, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty));
            var span = new Microsoft.CodeAnalysis.Text.TextSpan(Source.IndexOf(expression, System.StringComparison.Ordinal), expression.Length);
            Assert.Equal(dropped, reports.Drops(Location.Create(tree, span), declared: null, CancellationToken.None));

            // The member that holds it, when given, answers the same.
            var holder = compilation.GetSemanticModel(tree).GetEnclosingSymbol(span.Start);
            while (holder is IMethodSymbol { MethodKind: MethodKind.LocalFunction })
            {
                holder = holder.ContainingSymbol;
            }

            Assert.Equal(dropped, reports.Drops(Location.Create(tree, span), holder, CancellationToken.None));
        }
    }
}
