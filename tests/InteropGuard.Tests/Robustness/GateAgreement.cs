using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// A cheap gate ("may this body hold …?") read from a per-tree record must give the answer of the syntax walk it
    /// stands in for, on every body of the sources the repository holds; and both answers must have been given often
    /// enough for the comparison to mean something.
    /// </summary>
    internal sealed class GateAgreement
    {
        private readonly List<string> _disagreements = new List<string>();
        private int _bodies;
        private int _yes;

        /// <summary>Methods, constructors, operators, accessors, local functions and lambdas: what the gates are asked about.</summary>
        public static IEnumerable<SyntaxNode> Bodies(SyntaxTree tree)
            => tree.GetRoot().DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax || n is AccessorDeclarationSyntax
                                                           || n is LocalFunctionStatementSyntax || n is AnonymousFunctionExpressionSyntax);

        public void Compare(string sourceName, SyntaxNode body, bool walked, bool gated)
        {
            _bodies++;
            _yes += walked ? 1 : 0;
            if (walked != gated)
            {
                _disagreements.Add($"{sourceName}: walk {walked}: " + body.ToString().Split('\n')[0]);
            }
        }

        public void AssertAgreed(int minimumYes, int minimumNo, string whatYesMeans)
        {
            Assert.True(_disagreements.Count == 0, string.Join("\n", _disagreements.Take(20)));
            Assert.True(_yes >= minimumYes, $"Only {_yes} of {_bodies} bodies {whatYesMeans}.");
            Assert.True(_bodies - _yes >= minimumNo, $"Only {_bodies - _yes} of {_bodies} bodies do not.");
        }
    }
}
