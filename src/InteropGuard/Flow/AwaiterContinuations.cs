using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The continuation an awaiter of the compilation receives in <c>OnCompleted</c>/<c>UnsafeOnCompleted</c>, when only
    /// <c>await</c> in an async method returning a task can hand it one: it is the state machine's step, which catches
    /// whatever the method's body throws and keeps it in the task. Invoking it from a native callback throws nothing of
    /// the user's. Holds when the awaiter's type is not visible outside the compilation, nothing in the compilation names
    /// the method (so no code calls it but the compiler's), and every object of the type the compilation makes is made
    /// as the operand of an <c>await</c> in a function that is <c>async</c> and does not return <c>void</c>. DokanNet's
    /// wait for the file system's unmount, resumed from the native wait callback.
    /// </summary>
    internal static class AwaiterContinuations
    {
        public static bool IsStateMachineContinuation(Compilation compilation, IMethodSymbol method, IParameterSymbol parameter)
        {
            var awaiter = method.ContainingType;
            if (method.Name is not ("OnCompleted" or "UnsafeOnCompleted") || method.Parameters.Length != 1 || awaiter == null
                || parameter.Type.ToDisplayString() != "System.Action"
                || !awaiter.AllInterfaces.Any(i => i.ToDisplayString() == "System.Runtime.CompilerServices.INotifyCompletion")
                || SymbolVisibility.IsVisibleOutsideTheCompilation(awaiter)
                || !SymbolEqualityComparer.Default.Equals(awaiter.ContainingAssembly, compilation.Assembly))
            {
                return false;
            }

            var made = 0;
            foreach (var tree in compilation.SyntaxTrees)
            {
                var text = tree.GetText().ToString();
                var spellsMethod = text.IndexOf(method.Name, System.StringComparison.Ordinal) >= 0;
                if (!spellsMethod && text.IndexOf(awaiter.Name, System.StringComparison.Ordinal) < 0)
                {
                    continue;
                }

                if (spellsMethod && NameReferences.To(method, tree.GetRoot(), compilation).Any())
                {
                    return false;
                }

#pragma warning disable RS1030 // Once per awaiter field, for the trees that spell the awaiter's name.
                var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                foreach (var creation in tree.GetRoot().DescendantNodes().OfType<BaseObjectCreationExpressionSyntax>())
                {
                    if (!SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(creation).Type, awaiter))
                    {
                        continue;
                    }

                    if (!IsAwaitedInTaskMethod(creation, model))
                    {
                        return false;
                    }

                    made++;
                }
            }

            return made > 0;
        }

        private static bool IsAwaitedInTaskMethod(SyntaxNode creation, SemanticModel model)
        {
            var operand = creation;
            while (operand.Parent is ParenthesizedExpressionSyntax)
            {
                operand = operand.Parent;
            }

            if (operand.Parent is not AwaitExpressionSyntax)
            {
                return false;
            }

            var function = operand.Ancestors().FirstOrDefault(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax);
            var symbol = function switch
            {
                AnonymousFunctionExpressionSyntax lambda => model.GetSymbolInfo(lambda).Symbol as IMethodSymbol,
                null => null,
                _ => model.GetDeclaredSymbol(function) as IMethodSymbol,
            };
            return symbol is { IsAsync: true, ReturnsVoid: false };
        }
    }
}
