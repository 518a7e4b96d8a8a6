using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    internal enum PinningScopeKind
    {
        /// <summary>A <c>fixed</c> statement: pinned until the statement ends.</summary>
        Fixed,

        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c>: pinned until <c>Free</c>.</summary>
        PinnedGCHandle,

        /// <summary><c>Memory&lt;T&gt;.Pin()</c> / <c>IPinnable.Pin</c>: pinned until the MemoryHandle is disposed.</summary>
        MemoryHandle,

        /// <summary>Stack memory from <c>stackalloc</c>: valid until the function returns.</summary>
        StackAlloc,
    }

    /// <summary>
    /// One place where memory is pinned (or lives on the stack) in a body, with where that ends: the question "which
    /// pinning scope does this pointer come from, and where does it stop being valid" (IG2001), and "is this array
    /// pinned at this point" (IG2002).
    /// </summary>
    internal sealed class PinningScope
    {
        public PinningScope(PinningScopeKind kind, SyntaxNode start, IOperation function, string pinned, ISymbol? pinnedSymbol)
        {
            Kind = kind;
            Start = start;
            Function = function;
            Pinned = pinned;
            PinnedSymbol = pinnedSymbol;
        }

        public PinningScopeKind Kind { get; }

        /// <summary>The fixed statement, the GCHandle.Alloc / Pin invocation, or the stackalloc expression.</summary>
        public SyntaxNode Start { get; }

        /// <summary>The method body, local function or lambda whose frame owns the scope.</summary>
        public IOperation Function { get; }

        /// <summary>The pinned object as the code writes it (<c>buffer</c>, <c>_header.Size</c>); "stack memory" for stackalloc.</summary>
        public string Pinned { get; }

        /// <summary>The array, string, field, local or parameter that is pinned, when it is one symbol.</summary>
        public ISymbol? PinnedSymbol { get; }

        /// <summary>Syntax outside of which the memory is no longer pinned: the fixed statement, the using statement, the block of a using declaration.</summary>
        public SyntaxNode? Region { get; internal set; }

        /// <summary>For handles: the local holding the GCHandle or MemoryHandle.</summary>
        public ILocalSymbol? Handle { get; internal set; }

        /// <summary>The explicit <c>Free()</c> / <c>Dispose()</c> calls on <see cref="Handle"/> in the function.</summary>
        public ImmutableArray<IInvocationOperation> Releases { get; internal set; } = ImmutableArray<IInvocationOperation>.Empty;

        /// <summary>The pointer locals a fixed statement declares (one per declarator pinning <see cref="Pinned"/>).</summary>
        public ImmutableArray<ILocalSymbol> FixedLocals { get; internal set; } = ImmutableArray<ILocalSymbol>.Empty;

        /// <summary>
        /// The operations whose value is a pointer valid only inside the scope: references to the fixed locals,
        /// <c>AddrOfPinnedObject()</c> calls, <c>MemoryHandle.Pointer</c> reads, the stackalloc expression.
        /// </summary>
        public ImmutableArray<IOperation> Pointers { get; internal set; } = ImmutableArray<IOperation>.Empty;

        /// <summary>
        /// False for a handle that the function does not release (kept in a field, returned, handed on): the memory
        /// stays pinned past the function, which is the correct long-lived pattern.
        /// </summary>
        public bool EndsInFunction => Kind == PinningScopeKind.Fixed || Kind == PinningScopeKind.StackAlloc || Region != null || !Releases.IsEmpty;

        /// <summary>Is <paramref name="node"/> inside the pinned region (syntactically, in evaluation order of straight-line code)?</summary>
        public bool Covers(SyntaxNode node)
        {
            if (!Function.Syntax.Span.Contains(node.Span))
            {
                return false;
            }

            if (Region != null)
            {
                return Region.Span.Contains(node.Span) && node.SpanStart >= Start.SpanStart;
            }

            if (node.SpanStart < Start.SpanStart)
            {
                return false;
            }

            return !Releases.Any(r => r.Syntax.Span.End <= node.SpanStart);
        }
    }

    /// <summary>Finds the pinning scopes of a body (<see cref="PinningScope"/>).</summary>
    internal static class PinningScopes
    {
        private const int PinnedHandleType = 3;

        /// <summary>Cheap syntax gate: can this code block contain a pinning scope at all?</summary>
        public static bool MayContain(SyntaxNode node)
        {
            foreach (var descendant in node.DescendantNodes())
            {
                switch (descendant)
                {
                    case FixedStatementSyntax _:
                    case StackAllocArrayCreationExpressionSyntax _:
                    case ImplicitStackAllocArrayCreationExpressionSyntax _:
                        return true;
                    case IdentifierNameSyntax name when name.Identifier.ValueText == "Alloc" || name.Identifier.ValueText == "Pin":
                        return true;
                }
            }

            return false;
        }

        public static ImmutableArray<PinningScope> In(IOperation root, WellKnownTypes types)
        {
            var scopes = ImmutableArray.CreateBuilder<PinningScope>();
            foreach (var operation in root.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case { Kind: OperationKind.None, Syntax: FixedStatementSyntax } when operation.ChildOperations.FirstOrDefault() is IVariableDeclarationGroupOperation group:
                        AddFixed(scopes, root, operation, group);
                        break;
                    case { Kind: OperationKind.None, Syntax: StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax } when operation.Type is IPointerTypeSymbol:
                        scopes.Add(new PinningScope(PinningScopeKind.StackAlloc, operation.Syntax, FunctionOf(operation, root), "stack memory", null)
                        {
                            Pointers = ImmutableArray.Create(operation),
                        });
                        break;
                    case IInvocationOperation call when IsPinnedAlloc(call, types):
                        AddHandle(scopes, root, call, PinningScopeKind.PinnedGCHandle, call.Arguments[0].Value, "AddrOfPinnedObject", "Free");
                        break;
                    case IInvocationOperation call when call.TargetMethod.Name == "Pin" && types.MemoryHandle != null
                                                       && SymbolEqualityComparer.Default.Equals(call.Type, types.MemoryHandle) && call.Instance != null:
                        AddHandle(scopes, root, call, PinningScopeKind.MemoryHandle, call.Instance, "Pointer", "Dispose");
                        break;
                }
            }

            return scopes.ToImmutable();
        }

        /// <summary>Is <paramref name="memory"/> pinned (by a fixed statement or a pinned GCHandle) at <paramref name="at"/>?</summary>
        public static bool IsPinnedAt(IEnumerable<PinningScope> scopes, ISymbol memory, SyntaxNode at)
            => scopes.Any(s => s.Kind != PinningScopeKind.StackAlloc && SymbolEqualityComparer.Default.Equals(s.PinnedSymbol, memory) && s.Covers(at));

        /// <summary>
        /// Is <paramref name="memory"/> (a local or field) always an array from the pinned object heap
        /// (<c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c>)? Such an array never moves, so a pointer into it stays valid
        /// after a fixed statement ends.
        /// </summary>
        public static bool IsOnPinnedHeap(ISymbol memory, IOperation root)
        {
            var values = new List<SyntaxNode>();
            switch (memory)
            {
                case ILocalSymbol local:
                    foreach (var operation in root.Descendants())
                    {
                        if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                        {
                            values.Add(declarator.Initializer?.Value.Syntax ?? declarator.Syntax);
                        }
                        else if (operation is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment && SymbolEqualityComparer.Default.Equals(target.Local, local))
                        {
                            values.Add(assignment.Value.Syntax);
                        }
                    }

                    break;
                case IFieldSymbol field:
                    foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
                    {
                        foreach (var node in reference.GetSyntax().DescendantNodes())
                        {
                            if (node is VariableDeclaratorSyntax declarator && declarator.Identifier.ValueText == field.Name && declarator.Parent?.Parent is FieldDeclarationSyntax)
                            {
                                if (declarator.Initializer != null)
                                {
                                    values.Add(declarator.Initializer.Value);
                                }
                            }
                            else if (node is AssignmentExpressionSyntax assignment && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                                     && LastName(assignment.Left) == field.Name)
                            {
                                values.Add(assignment.Right);
                            }
                        }
                    }

                    break;
            }

            return values.Count > 0 && values.All(IsPinnedAllocation);
        }

        private static bool IsPinnedAllocation(SyntaxNode value)
            => value is InvocationExpressionSyntax call
               && (LastName(call.Expression) == "AllocateArray" || LastName(call.Expression) == "AllocateUninitializedArray")
               && call.ArgumentList.Arguments.Any(a => a.Expression.IsKind(SyntaxKind.TrueLiteralExpression)
                                                       && (a.NameColon?.Name.Identifier.ValueText == "pinned" || (a.NameColon == null && call.ArgumentList.Arguments.IndexOf(a) == 1)));

        private static string? LastName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax name => name.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax member => LastName(member.Name),
            _ => null,
        };

        /// <summary>The body, local function or lambda that directly contains <paramref name="operation"/>.</summary>
        public static IOperation FunctionOf(IOperation operation, IOperation root)
        {
            for (var current = operation.Parent; current != null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation || current is ILocalFunctionOperation)
                {
                    return current;
                }
            }

            return root;
        }

        private static void AddFixed(ImmutableArray<PinningScope>.Builder scopes, IOperation root, IOperation statement, IVariableDeclarationGroupOperation group)
        {
            foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators))
            {
                if (declarator.Initializer?.Value is not { } value)
                {
                    continue;
                }

                var pinned = PinnedOperand(value);
                if (pinned is IInvalidOperation || pinned.Syntax.IsMissing || pinned.Syntax.Span.IsEmpty)
                {
                    continue;
                }

                var kind = PinningScopeKind.Fixed;
                if (pinned is ILocalReferenceOperation spanLocal && IsSpan(spanLocal.Type))
                {
                    // A span over stack memory does not move; one made from a raw pointer is not managed memory at all.
                    switch (SpanOrigin(root, spanLocal.Local))
                    {
                        case SpanKind.Stack:
                            kind = PinningScopeKind.StackAlloc;
                            break;
                        case SpanKind.Native:
                            continue;
                    }
                }

                if (SymbolOf(pinned) is { } memory && IsOnPinnedHeap(memory, root))
                {
                    continue;
                }

                var function = FunctionOf(statement, root);
                var references = function.Descendants().OfType<ILocalReferenceOperation>()
                    .Where(r => SymbolEqualityComparer.Default.Equals(r.Local, declarator.Symbol))
                    .ToImmutableArray<IOperation>();
                scopes.Add(new PinningScope(kind, statement.Syntax, function, kind == PinningScopeKind.StackAlloc ? "stack memory" : Display(pinned), SymbolOf(pinned))
                {
                    Region = kind == PinningScopeKind.Fixed ? statement.Syntax : null,
                    FixedLocals = ImmutableArray.Create(declarator.Symbol),
                    Pointers = references,
                });
            }
        }

        private static void AddHandle(ImmutableArray<PinningScope>.Builder scopes, IOperation root, IInvocationOperation call, PinningScopeKind kind, IOperation pinned, string pointerMember, string releaseName)
        {
            var function = FunctionOf(call, root);
            var (handle, region) = StoredIn(call);

            // Kept in a field, returned or handed on: pinned from here on, released by someone else (long-lived).
            var longLived = new PinningScope(kind, call.Syntax, function, Display(pinned), SymbolOf(pinned));
            if (handle == null)
            {
                scopes.Add(longLived);
                return;
            }

            var pointers = ImmutableArray.CreateBuilder<IOperation>();
            var releases = ImmutableArray.CreateBuilder<IInvocationOperation>();
            foreach (var reference in function.Descendants().OfType<ILocalReferenceOperation>().Where(r => SymbolEqualityComparer.Default.Equals(r.Local, handle)))
            {
                if (FunctionOf(reference, root) != function)
                {
                    // A lambda or local function releases it (a completion callback): it lives as long as that does.
                    scopes.Add(longLived);
                    return;
                }

                switch (reference.Parent)
                {
                    case IInvocationOperation member when member.Instance == reference && member.TargetMethod.Name == pointerMember:
                        pointers.Add(member);
                        break;
                    case IPropertyReferenceOperation property when property.Instance == reference && property.Property.Name == pointerMember:
                        pointers.Add(property);
                        break;
                    case IInvocationOperation member when member.Instance == reference && member.TargetMethod.Name == releaseName:
                        releases.Add(member);
                        break;
                    case IInvocationOperation member when member.Instance == reference:
                    case IPropertyReferenceOperation property when property.Instance == reference:
                        break;
                    case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                    case IVariableDeclaratorOperation _:
                        break;
                    default:
                        scopes.Add(longLived);
                        return;
                }
            }

            scopes.Add(new PinningScope(kind, call.Syntax, function, Display(pinned), SymbolOf(pinned))
            {
                Handle = handle,
                Region = region,
                Releases = region != null ? ImmutableArray<IInvocationOperation>.Empty : releases.ToImmutable(),
                Pointers = pointers.ToImmutable(),
            });
        }

        /// <summary>The local the handle is stored in and, for <c>using</c>, the syntax it is disposed at the end of.</summary>
        private static (ILocalSymbol? Local, SyntaxNode? Region) StoredIn(IOperation call)
        {
            var current = call;
            while (current.Parent is IConversionOperation conversion && conversion.OperatorMethod == null)
            {
                current = conversion;
            }

            switch (current.Parent)
            {
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == current:
                    return (local.Local, null);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } when !declarator.Symbol.IsRef:
                    var declaration = declarator.Parent?.Parent?.Parent;
                    switch (declaration)
                    {
                        case IUsingOperation usingStatement:
                            return (declarator.Symbol, usingStatement.Syntax);
                        case IUsingDeclarationOperation usingDeclaration:
                            return (declarator.Symbol, usingDeclaration.Syntax.Parent);
                        default:
                            return (declarator.Symbol, null);
                    }

                default:
                    return (null, null);
            }
        }

        private static bool IsPinnedAlloc(IInvocationOperation call, WellKnownTypes types)
            => call.TargetMethod.Name == "Alloc" && call.Arguments.Length == 2
               && types.GCHandle != null && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, types.GCHandle)
               && call.Arguments[1].Value.ConstantValue is { HasValue: true, Value: int type } && type == PinnedHandleType;

        private enum SpanKind
        {
            Unknown,
            Stack,
            Native,
        }

        private static SpanKind SpanOrigin(IOperation root, ILocalSymbol span)
        {
            var kinds = new HashSet<SpanKind>();
            foreach (var operation in root.Descendants())
            {
                IOperation? value = operation switch
                {
                    IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, span) => declarator.Initializer?.Value,
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when SymbolEqualityComparer.Default.Equals(local.Local, span) => assignment.Value,
                    _ => null,
                };
                if (value == null)
                {
                    continue;
                }

                value = ValueUses.SkipConversions(value);
                if (value.Syntax is StackAllocArrayCreationExpressionSyntax || value.Syntax is ImplicitStackAllocArrayCreationExpressionSyntax)
                {
                    kinds.Add(SpanKind.Stack);
                }
                else if (value is IObjectCreationOperation creation && creation.Arguments.Length > 0 && creation.Arguments[0].Value.Type is IPointerTypeSymbol)
                {
                    kinds.Add(SpanKind.Native);
                }
                else
                {
                    kinds.Add(SpanKind.Unknown);
                }
            }

            return kinds.Count == 1 ? kinds.First() : SpanKind.Unknown;
        }

        private static bool IsSpan(ITypeSymbol? type)
            => type is INamedTypeSymbol { Arity: 1 } named && (named.Name == "Span" || named.Name == "ReadOnlySpan")
               && named.ContainingNamespace?.ToDisplayString() == "System";

        /// <summary>The pinned operand of a fixed initializer: <c>buffer</c> in <c>buffer</c>, <c>&amp;buffer[1]</c> or <c>&amp;s.Field</c>.</summary>
        private static IOperation PinnedOperand(IOperation value)
        {
            var current = value;
            while (true)
            {
                switch (current)
                {
                    case IConversionOperation conversion:
                        current = conversion.Operand;
                        continue;
                    case { Kind: OperationKind.None } when current.ChildOperations.Count == 1:
                        current = current.ChildOperations.First();
                        continue;
                    case IAddressOfOperation address:
                        current = address.Reference;
                        continue;
                    case IArrayElementReferenceOperation element:
                        current = element.ArrayReference;
                        continue;
                    default:
                        return current;
                }
            }
        }

        private static ISymbol? SymbolOf(IOperation operation) => ValueUses.SkipConversions(operation) switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            _ => null,
        };

        private static string Display(IOperation operation) => ValueUses.SkipConversions(operation).Syntax.ToString();
    }
}
