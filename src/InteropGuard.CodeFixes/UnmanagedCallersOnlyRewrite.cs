using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG1002 alternative for <c>Marshal.GetFunctionPointerForDelegate(StaticMethod)</c>: mark the method
    /// <c>[UnmanagedCallersOnly]</c> and take its address, so there is no delegate left to collect. Offered only where
    /// that is safe: an ordinary static method of this document with a blittable signature, called from nowhere else
    /// (managed code may not call an UnmanagedCallersOnly method), and a delegate type whose calling convention is the
    /// platform default or Cdecl.
    /// </summary>
    internal sealed class UnmanagedCallersOnlyRewrite
    {
        private readonly InvocationExpressionSyntax _conversion;
        private readonly MethodDeclarationSyntax _target;
        private readonly MemberDeclarationSyntax _caller;
        private readonly FunctionPointerTypeSyntax _pointerType;
        private readonly TypeSyntax _intPtr;
        private readonly bool _cdecl;

        private UnmanagedCallersOnlyRewrite(InvocationExpressionSyntax conversion, MethodDeclarationSyntax target, MemberDeclarationSyntax caller, FunctionPointerTypeSyntax pointerType, TypeSyntax intPtr, bool cdecl)
        {
            _conversion = conversion;
            _target = target;
            _caller = caller;
            _pointerType = pointerType;
            _intPtr = intPtr;
            _cdecl = cdecl;
        }

        public string MethodName => _target.Identifier.ValueText;

        public static async Task<UnmanagedCallersOnlyRewrite?> ForAsync(AnalyzedDocument document, ExpressionSyntax @delegate)
        {
            var (model, cancellationToken) = (document.Model, document.CancellationToken);
            if (model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.UnmanagedCallersOnlyAttribute") == null)
            {
                return null;
            }

            if (!(@delegate.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Arguments.Count: 1, Parent: InvocationExpressionSyntax conversion } })
                || !(model.GetOperation(conversion, cancellationToken) is IInvocationOperation invocation)
                || !invocation.TargetMethod.Name.StartsWith("GetFunctionPointerForDelegate", System.StringComparison.Ordinal)
                || !(SkipConversions(invocation.Arguments[0].Value) is IDelegateCreationOperation { Target: IMethodReferenceOperation reference } creation)
                || !(creation.Type is INamedTypeSymbol { DelegateInvokeMethod: { } invoke } delegateType))
            {
                return null;
            }

            var method = reference.Method;
            if (!method.IsStatic || method.MethodKind != MethodKind.Ordinary || method.IsGenericMethod || method.ContainingType.IsGenericType
                || method.DeclaringSyntaxReferences.Length != 1
                || !(method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is MethodDeclarationSyntax target)
                || target.SyntaxTree != @delegate.SyntaxTree
                || (target.Body == null && target.ExpressionBody == null)
                || method.GetAttributes().Any(a => a.AttributeClass?.Name == "UnmanagedCallersOnlyAttribute")
                || !IsBlittable(method.ReturnsVoid ? null : method.ReturnType) || method.RefKind != RefKind.None
                || method.Parameters.Any(p => p.RefKind != RefKind.None || !IsBlittable(p.Type))
                || !CallingConvention(delegateType, out var cdecl))
            {
                return null;
            }

            var caller = conversion.FirstAncestorOrSelf<MemberDeclarationSyntax>(m => m is BaseMethodDeclarationSyntax || m is BasePropertyDeclarationSyntax);
            if (caller == null || caller.Modifiers.Any(SyntaxKind.AsyncKeyword) || caller.DescendantNodes().OfType<YieldStatementSyntax>().Any()
                || (caller.Modifiers.Count == 0 && !IsUnsafeContext(caller)))
            {
                return null;
            }

            // The address is the only reference a managed caller may keep.
            var scope = ReferenceScope.For(method, document.Document, document.Root.SyntaxTree);
            var references = await SymbolFinder.FindReferencesAsync(method, document.Document.Project.Solution, scope, cancellationToken).ConfigureAwait(false);
            if (references.SelectMany(r => r.Locations).Count() != 1)
            {
                return null;
            }

            // delegate* unmanaged[Cdecl]<parameter types..., return type>, written from the method's symbols.
            var generator = SyntaxGenerator.GetGenerator(document.Document);
            var types = method.Parameters.Select(p => generator.TypeExpression(p.Type))
                .Concat(new[] { method.ReturnsVoid ? SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.VoidKeyword)) : generator.TypeExpression(method.ReturnType) })
                .Select(t => SyntaxFactory.FunctionPointerParameter(((TypeSyntax)t).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation)))
                .ToList();
            var parameters = SyntaxFactory.FunctionPointerParameterList(
                SyntaxFactory.Token(SyntaxKind.LessThanToken),
                SyntaxFactory.SeparatedList(types, Enumerable.Repeat(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space), types.Count - 1)),
                SyntaxFactory.Token(SyntaxKind.GreaterThanToken));
            var conventions = cdecl
                ? SyntaxFactory.FunctionPointerUnmanagedCallingConventionList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.FunctionPointerUnmanagedCallingConvention(SyntaxFactory.Identifier("Cdecl"))))
                : null;
            var pointerType = SyntaxFactory.FunctionPointerType(
                SyntaxFactory.Token(SyntaxKind.DelegateKeyword),
                SyntaxFactory.Token(SyntaxKind.AsteriskToken).WithTrailingTrivia(SyntaxFactory.Space),
                SyntaxFactory.FunctionPointerCallingConvention(SyntaxFactory.Token(SyntaxKind.UnmanagedKeyword), conventions),
                parameters);
            // The cast back to what GetFunctionPointerForDelegate returned, spelled IntPtr as before (TypeExpression writes nint).
            var intPtr = SyntaxFactory.QualifiedName(
                SyntaxFactory.AliasQualifiedName(SyntaxFactory.IdentifierName(SyntaxFactory.Token(SyntaxKind.GlobalKeyword)), SyntaxFactory.IdentifierName("System")),
                SyntaxFactory.IdentifierName("IntPtr"));
            return new UnmanagedCallersOnlyRewrite(conversion, target, caller, pointerType, intPtr, cdecl);
        }

        /// <summary>Applies several rewrites planned on the same document at once.</summary>
        public static Task<Document> ApplyAsync(AnalyzedDocument document, IReadOnlyList<UnmanagedCallersOnlyRewrite> rewrites)
        {
            var root = document.Root;
            if (rewrites.Count == 0)
            {
                return Task.FromResult(document.Document);
            }

            var conversions = rewrites.ToDictionary(r => (SyntaxNode)r._conversion);
            var targets = rewrites.GroupBy(r => (SyntaxNode)r._target).ToDictionary(g => g.Key, g => g.First());
            var callers = new HashSet<SyntaxNode>(rewrites.Where(r => !IsUnsafeContext(r._caller)).Select(r => (SyntaxNode)r._caller));
            var rewritten = root.ReplaceNodes(conversions.Keys.Concat(targets.Keys).Concat(callers), (original, current) =>
            {
                if (conversions.TryGetValue(original, out var conversion))
                {
                    var address = SyntaxFactory.PrefixUnaryExpression(SyntaxKind.AddressOfExpression, SyntaxFactory.IdentifierName(conversion._target.Identifier.WithoutTrivia()));
                    return SyntaxFactory.CastExpression(conversion._intPtr, SyntaxFactory.CastExpression(conversion._pointerType, address))
                        .WithTriviaFrom(current)
                        .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                }

                if (targets.TryGetValue(original, out var target))
                {
                    var method = (MethodDeclarationSyntax)current;
                    var arguments = target._cdecl
                        ? SyntaxFactory.ParseAttributeArgumentList("(CallConvs = new[] { typeof(global::System.Runtime.CompilerServices.CallConvCdecl) })")
                        : null;
                    var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                            SyntaxFactory.Attribute(SyntaxFactory.ParseName("global::System.Runtime.InteropServices.UnmanagedCallersOnly"), arguments)))
                        .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                    method = method.WithoutLeadingTrivia().AddAttributeLists(attribute).WithLeadingTrivia(method.GetLeadingTrivia());
                    return callers.Contains(original) ? AddUnsafe(method) : method;
                }

                return AddUnsafe((MemberDeclarationSyntax)current);
            });
            return document.WithRootAsync(rewritten);
        }

        private static bool IsUnsafeContext(MemberDeclarationSyntax member)
            => member.Modifiers.Any(SyntaxKind.UnsafeKeyword) || member.Ancestors().OfType<TypeDeclarationSyntax>().Any(t => t.Modifiers.Any(SyntaxKind.UnsafeKeyword));

        // 'unsafe' goes last among the modifiers, keeping the declaration's layout.
        private static MemberDeclarationSyntax AddUnsafe(MemberDeclarationSyntax member)
        {
            var modifiers = member.Modifiers;
            var last = modifiers.Last();
            var updated = modifiers.Replace(last, last.WithTrailingTrivia(SyntaxFactory.Space))
                .Add(SyntaxFactory.Token(SyntaxKind.UnsafeKeyword).WithTrailingTrivia(last.TrailingTrivia));
            return member.WithModifiers(updated);
        }

        private static bool CallingConvention(INamedTypeSymbol delegateType, out bool cdecl)
        {
            cdecl = false;
            var attribute = delegateType.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name == "UnmanagedFunctionPointerAttribute");
            if (attribute == null || attribute.ConstructorArguments.Length == 0 || !(attribute.ConstructorArguments[0].Value is int convention))
            {
                return attribute == null;
            }

            // System.Runtime.InteropServices.CallingConvention: Winapi = 1, Cdecl = 2.
            cdecl = convention == 2;
            return convention == 1 || convention == 2;
        }

        private static bool IsBlittable(ITypeSymbol? type)
        {
            if (type == null)
            {
                return true;
            }

            if (type.TypeKind == TypeKind.Pointer || type.TypeKind == TypeKind.Enum)
            {
                return true;
            }

            switch (type.SpecialType)
            {
                case SpecialType.System_SByte:
                case SpecialType.System_Byte:
                case SpecialType.System_Int16:
                case SpecialType.System_UInt16:
                case SpecialType.System_Int32:
                case SpecialType.System_UInt32:
                case SpecialType.System_Int64:
                case SpecialType.System_UInt64:
                case SpecialType.System_Single:
                case SpecialType.System_Double:
                case SpecialType.System_IntPtr:
                case SpecialType.System_UIntPtr:
                    return true;
                default:
                    return false;
            }
        }

        private static IOperation SkipConversions(IOperation operation)
        {
            while (operation is IConversionOperation conversion && conversion.OperatorMethod == null)
            {
                operation = conversion.Operand;
            }

            return operation;
        }
    }
}
