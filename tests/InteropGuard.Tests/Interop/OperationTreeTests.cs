using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The walks of the shared operation-tree vocabulary: the compiler-inserted conversion walks stop at a user-defined
    /// operator (an array turned into a span goes through one), the "every" ones do not; parentheses are crossed and a
    /// cast is not; a function in syntax is a lambda or a local function.
    /// </summary>
    public class OperationTreeTests
    {
        private const string Source = @"
using System;
class C
{
    static void Box(object o) { }
    static void View(ReadOnlySpan<int> s) { }
    static void Plain(int[] a) { }
    void M(int[] values, int count)
    {
        Box(count);
        View(values);
        Plain(values);
    }
}";

        [Fact]
        public void ABoxedArgumentIsReachedThroughItsConversionBothWays()
        {
            var count = Reference("count", 0);
            var boxed = OperationTree.WithConversions(count);
            Assert.IsAssignableFrom<IConversionOperation>(boxed);
            Assert.IsAssignableFrom<IArgumentOperation>(boxed.Parent);
            Assert.Same(boxed, OperationTree.WithEveryConversion(count));
            Assert.Same(count, OperationTree.SkipConversions(boxed));
            Assert.Same(count, OperationTree.SkipEveryConversion(boxed));
        }

        [Fact]
        public void AnArrayViewedAsASpanIsOnlyCrossedByTheEveryConversionWalks()
        {
            var values = Reference("values", 0);
            Assert.Same(values, OperationTree.WithConversions(values));
            var span = OperationTree.WithEveryConversion(values);
            Assert.True(span is IConversionOperation { OperatorMethod: not null }, span.Kind.ToString());
            Assert.Same(span, OperationTree.SkipConversions(span));
            Assert.Same(values, OperationTree.SkipEveryConversion(span));
        }

        [Fact]
        public void AnArgumentWithoutConversionIsItself()
        {
            var values = Reference("values", 1);
            Assert.Same(values, OperationTree.WithConversions(values));
            Assert.Same(values, OperationTree.WithEveryConversion(values));
            Assert.IsAssignableFrom<IArgumentOperation>(values.Parent);
        }

        [Fact]
        public void ParenthesesAreCrossedButNotACast()
        {
            var statement = (Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax)Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseStatement("x = ((a)) + ((long)(b));");
            var sum = (BinaryExpressionSyntax)((AssignmentExpressionSyntax)statement.Expression).Right;
            var a = OperationTree.SkipParentheses(sum.Left);
            Assert.Equal("a", a.ToString());
            Assert.Same(sum.Left, OperationTree.WithParentheses(a));
            Assert.IsType<CastExpressionSyntax>(OperationTree.SkipParentheses(sum.Right));
            Assert.Same(a, OperationTree.SkipParentheses(a));
        }

        [Theory]
        [InlineData("System.Action f = () => M();", true)]
        [InlineData("void Local() { }", true)]
        [InlineData("if (ok) { M(); }", false)]
        public void AFunctionIsALambdaOrALocalFunctionInSyntaxToo(string statement, bool isFunction)
        {
            var parsed = Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseStatement(statement);
            Assert.Equal(isFunction, parsed.DescendantNodesAndSelf().Any(OperationTree.IsFunctionSyntax));
        }

        [Fact]
        public void ALambdaAsADelegateGoesWhereItsCreationGoes()
        {
            var test = new InteropTestCompilation("using System; class C { static void Run(Func<object> f) { } void M() { Run(() => 1); } }");
            var tree = test.Compilation.SyntaxTrees.Single();
            var lambda = test.Compilation.GetSemanticModel(tree).GetOperation(tree.GetRoot().DescendantNodes().OfType<ParenthesizedLambdaExpressionSyntax>().Single())!;
            Assert.IsAssignableFrom<IDelegateCreationOperation>(lambda.Parent);
            Assert.IsAssignableFrom<IArgumentOperation>(OperationTree.AsDelegate(lambda).Parent);
            var argument = Reference("count", 0).Parent!.Parent!;
            Assert.IsAssignableFrom<IArgumentOperation>(argument);
            Assert.Same(argument, OperationTree.AsDelegate(argument));
        }

        [Theory]
        // Found at the bottom of a left-nested chain of 200 additions, far below the depth to which the walk recurses.
        [InlineData("Throw", true)]
        [InlineData("Invocation", true)]
        // Found at the top, where the walk starts.
        [InlineData("Return", true)]
        // Nowhere in the body: the whole chain is read to say so.
        [InlineData("Conditional", false)]
        public void AnyAnswersAsDescendantsDoPastTheRecursionBound(string kind, bool found)
        {
            var chain = string.Concat(Enumerable.Repeat(" + 1", 200));
            var test = new InteropTestCompilation("class C { static int F() => 1; int M(int? a) { return (a ?? throw new System.Exception()) + F()" + chain + "; } }");
            var tree = test.Compilation.SyntaxTrees.Single();
            var body = test.Compilation.GetSemanticModel(tree).GetOperation(tree.GetRoot().DescendantNodes().OfType<ReturnStatementSyntax>().Single())!;
            bool IsKind(IOperation operation) => operation.Kind.ToString() == kind;
            Assert.Equal(found, body.DescendantsAndSelf().Any(IsKind));
            Assert.Equal(found, OperationTree.Any(body, IsKind));
        }

        private static IOperation Reference(string name, int index)
        {
            var test = new InteropTestCompilation(Source);
            var tree = test.Compilation.SyntaxTrees.Single();
            var model = test.Compilation.GetSemanticModel(tree);
            var syntax = tree.GetRoot().DescendantNodes().OfType<IdentifierNameSyntax>().Where(n => n.Identifier.ValueText == name).ElementAt(index);
            return model.GetOperation(syntax)!;
        }
    }
}
