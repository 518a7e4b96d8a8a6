using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "The object under construction is held by the code that creates it": <c>this</c> in a method that runs only while
    /// its object is being built (<see cref="ConstructionOnlyMethods"/>) is held by the creating frame whenever that frame
    /// uses the new object after the constructor returns (the JIT reports the result of <c>newobj</c> live while a later use
    /// is ahead), so it cannot be collected during the construction. It is not held where a creation of the class (or of a
    /// class of this compilation derived from it) drops its result: <c>new T();</c>, <c>_ = new T();</c>, a local never read
    /// again, a void lambda's body. Only such a creation in sight makes the finding: creations outside the compilation (a
    /// public constructor) and through a type parameter (<c>new TValue()</c>) cannot be read, and code that builds an object
    /// nearly always uses it, so where none is seen the rule stays silent, as it always was in constructors (which IG1001
    /// leaves out before this is asked: the index costs a walk of every tree). Where the
    /// constructor hands <c>this</c> out (a static field, <c>GCHandle.Alloc(this)</c>, an event) does not matter: that adds a
    /// reference, it never takes the creator's away.
    /// </summary>
    internal sealed class HandleOwnersUnderConstruction
    {
        private readonly Compilation _compilation;
        private readonly ConstructionOnlyMethods _construction;
        private readonly Lazy<INamedTypeSymbol[]> _sourceTypes;
        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _droppedByACreator = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);

        // The creations whose result may be dropped, found by one walk of the compilation's syntax, made only when a
        // finding on an object under construction is about to be reported: the rest keep what they create, whatever its type.
        private readonly Lazy<CreationsThatMayDrop> _mayDrop;

        public HandleOwnersUnderConstruction(Compilation compilation, Lazy<INamedTypeSymbol[]> sourceTypes, MethodCallers callers)
        {
            _compilation = compilation;
            _construction = new ConstructionOnlyMethods(callers);
            _sourceTypes = sourceTypes;
            _mayDrop = new Lazy<CreationsThatMayDrop>(() => CreationsThatMayDrop.In(compilation), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>
        /// Is <c>this</c>, in <paramref name="method"/>, an object under construction that no creation in sight drops (its
        /// creator holds it for as long as the method runs)?
        /// </summary>
        public bool HeldByCreator(IMethodSymbol method, CancellationToken cancellationToken)
        {
            if (method.IsStatic || method.ContainingType is not { TypeKind: TypeKind.Class } type
                || method.DeclaredAccessibility != Accessibility.Private || !NamedInAConstructor(method, type, cancellationToken)
                || !_construction.RunsOnlyDuringConstruction(method, cancellationToken))
            {
                return false;
            }

            return !DroppedByACreator(type, cancellationToken);
        }

        // Asked for every IG1001 finding on 'this' (TorchSharp: 1,095): "only constructors call it" reads every declaration of
        // the class for the method's name (its partial Tensor class is tens of thousands of lines; IG1001 +13 ms), while a
        // private method no constructor names is answered from the constructors' few tokens. A method two calls away from a
        // constructor is not asked about further (reported, as before the reading).
        private static bool NamedInAConstructor(IMethodSymbol method, INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                foreach (var reference in constructor.DeclaringSyntaxReferences)
                {
                    foreach (var token in reference.GetSyntax(cancellationToken).DescendantTokens())
                    {
                        if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == method.Name)
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>Does a creation of the class (or of a class of this compilation derived from it) in this compilation drop the new object?</summary>
        private bool DroppedByACreator(INamedTypeSymbol type, CancellationToken cancellationToken)
            => _droppedByACreator.GetOrAdd(type.OriginalDefinition, t => ComputeDroppedByACreator(t, cancellationToken));

        private bool ComputeDroppedByACreator(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            var family = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { type };
            foreach (var source in _sourceTypes.Value)
            {
                if (source.TypeKind == TypeKind.Class && BaseTypes.InheritsFrom(source, type))
                {
                    family.Add(source.OriginalDefinition);
                }
            }

            var mayDrop = _mayDrop.Value;
            var names = new HashSet<string>(family.Select(member => member.Name));
            foreach (var site in mayDrop.Sites)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // A creation spelling its class names it or an alias of it; the rest need no binding. One that does not bind,
                // or names a type parameter, says nothing of which class it builds.
                if (site.Name is { } name && !names.Contains(name) && !mayDrop.OtherNames.Contains(name))
                {
                    continue;
                }

                if (site.Creation(_compilation, cancellationToken) is { Type: INamedTypeSymbol created } creation
                    && creation is not ITypeParameterObjectCreationOperation
                    && family.Contains(created.OriginalDefinition)
                    && !KeepsCreated(creation, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Is the created object used after the constructor returns? The value is followed through conversions and branches
        /// (<c>c ? new T() : null</c>, <c>x ?? new T()</c>) to what takes it: a statement that drops it, a discard, a void
        /// lambda's body, or a local or parameter dropped in sight (<see cref="ReadAfter"/>) do not keep it; anything else is
        /// taken to keep it, since a finding rests on a drop the rule can see.
        /// </summary>
        private bool KeepsCreated(IOperation creation, CancellationToken cancellationToken)
        {
            var value = creation;
            while (value.Parent is { } parent)
            {
                switch (parent)
                {
                    case IConversionOperation:
                    case IParenthesizedOperation:
                    case IConditionalOperation conditional when conditional.Condition != value:
                    case ICoalesceOperation:
                    case ISwitchExpressionArmOperation:
                    case ISwitchExpressionOperation switchExpression when switchExpression.Value != value:
                        value = parent;
                        continue;
                    case IExpressionStatementOperation:
                        return false;
                    case ISimpleAssignmentOperation assignment when assignment.Value == value:
                        return KeepsStored(assignment.Target, creation, cancellationToken);
                    case ICoalesceAssignmentOperation assignment when assignment.Value == value:
                        return KeepsStored(assignment.Target, creation, cancellationToken);
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        return declarator.Parent?.Parent?.Parent is IUsingDeclarationOperation or IUsingOperation
                               || ReadAfter(declarator.Symbol, creation, cancellationToken);
                    default:
                        return true;
                }
            }

            return true;
        }

        private bool KeepsStored(IOperation target, IOperation creation, CancellationToken cancellationToken)
            => target switch
            {
                IDiscardOperation => false,
                ILocalReferenceOperation { Local: { RefKind: RefKind.None } local } => ReadAfter(local, creation, cancellationToken),
                IParameterReferenceOperation { Parameter: { RefKind: RefKind.None } parameter } => ReadAfter(parameter, creation, cancellationToken),
                IDeclarationExpressionOperation or ITupleOperation => true,
                _ => true,
            };

        /// <summary>
        /// Does the object stored into the variable stay reachable from this frame after the constructor returns? The
        /// finding rests on a drop in sight, so only two shapes are a drop: nothing refers to the variable after the
        /// creation (and nothing before it, which a loop could reach again), or the first reference after it, a statement of
        /// the same statement list, gives the variable another value. A first reference inside a branch or loop, a
        /// <c>ref</c>/<c>out</c> use, anything else: kept (a read on one path keeps the object live at the call).
        /// </summary>
        private bool ReadAfter(ISymbol variable, IOperation creation, CancellationToken cancellationToken)
        {
            var scope = creation.Syntax.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax || a is AccessorDeclarationSyntax
                                                                        || a is AnonymousFunctionExpressionSyntax || a is LocalFunctionStatementSyntax
                                                                        || a is CompilationUnitSyntax || a is BasePropertyDeclarationSyntax);
            if (scope == null)
            {
                return true;
            }

            var before = false;
            ExpressionSyntax? first = null;
            foreach (var reference in NameReferences.To(variable, scope, _compilation, cancellationToken))
            {
                var whole = OperationTree.SkipParentheses(reference.Whole);
                if (whole.Parent is AssignmentExpressionSyntax store && store.Left == whole && store.Right.Span.Contains(creation.Syntax.Span))
                {
                    continue;
                }

                if (whole.SpanStart < creation.Syntax.Span.End)
                {
                    before = true;
                }
                else if (first == null || whole.SpanStart < first.SpanStart)
                {
                    first = whole;
                }
            }

            if (first == null)
            {
                return before;
            }

            return !(first.Parent is AssignmentExpressionSyntax assignment && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Left == first
                     && assignment.Parent is ExpressionStatementSyntax statement
                     && creation.Syntax.FirstAncestorOrSelf<StatementSyntax>() is { } creating && creating.Parent == statement.Parent);
        }

        /// <summary>
        /// The creations of the compilation whose result may be dropped, with the names a creation may spell a class by
        /// other than the class's own: using aliases and type parameters.
        /// </summary>
        private sealed class CreationsThatMayDrop
        {
            private CreationsThatMayDrop(CreationSite[] sites, HashSet<string> otherNames)
            {
                Sites = sites;
                OtherNames = otherNames;
            }

            public CreationSite[] Sites { get; }

            public HashSet<string> OtherNames { get; }

            public static CreationsThatMayDrop In(Compilation compilation)
            {
                var sites = new List<CreationSite>();
                var otherNames = new HashSet<string>();
                foreach (var tree in compilation.SyntaxTrees)
                {
                    foreach (var node in tree.GetRoot().DescendantNodes())
                    {
                        switch (node)
                        {
                            case BaseObjectCreationExpressionSyntax creation when MayDrop(creation):
                                sites.Add(new CreationSite(creation));
                                break;
                            case UsingDirectiveSyntax { Alias: { } alias }:
                                otherNames.Add(alias.Name.Identifier.ValueText);
                                break;
                            case TypeParameterSyntax parameter:
                                otherNames.Add(parameter.Identifier.ValueText);
                                break;
                        }
                    }
                }

                return new CreationsThatMayDrop(sites.ToArray(), otherNames);
            }

            /// <summary>
            /// Could what takes the created object drop it? Only a statement, an assignment, a local's initializer or an
            /// expression body can (a void method's or lambda's); an argument, a member access, a return, a field's
            /// initializer and the rest keep it.
            /// </summary>
            private static bool MayDrop(ExpressionSyntax creation)
            {
                SyntaxNode value = creation;
                while (true)
                {
                    switch (value.Parent)
                    {
                        case ParenthesizedExpressionSyntax:
                        case CastExpressionSyntax:
                        case ConditionalExpressionSyntax conditional when conditional.Condition != value:
                        case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.CoalesceExpression) || (binary.IsKind(SyntaxKind.AsExpression) && binary.Left == value):
                        case PostfixUnaryExpressionSyntax postfix when postfix.IsKind(SyntaxKind.SuppressNullableWarningExpression):
                        case SwitchExpressionArmSyntax arm when arm.Expression == value:
                        case SwitchExpressionSyntax switchExpression when switchExpression.GoverningExpression != value:
                            value = value.Parent;
                            continue;
                        case ExpressionStatementSyntax:
                        case ArrowExpressionClauseSyntax:
                        case AnonymousFunctionExpressionSyntax:
                            return true;
                        case AssignmentExpressionSyntax assignment:
                            return assignment.Right == value;
                        case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax local } } }:
                            return local.UsingKeyword.IsKind(SyntaxKind.None);
                        default:
                            return false;
                    }
                }
            }
        }

        /// <summary>A creation found by the syntax walk, bound when a class's creations are first asked about.</summary>
        private sealed class CreationSite
        {
            private readonly BaseObjectCreationExpressionSyntax _syntax;
            private IOperation? _creation;
            private bool _bound;

            public CreationSite(BaseObjectCreationExpressionSyntax syntax)
            {
                _syntax = syntax;
                Name = syntax is ObjectCreationExpressionSyntax { Type: var type } ? TypeSyntaxNames.Rightmost(type) : null;
            }

            /// <summary>The simple name the creation spells its class by; null for <c>new()</c>, which takes its target's.</summary>
            public string? Name { get; }

            public IOperation? Creation(Compilation compilation, CancellationToken cancellationToken)
            {
                if (!Volatile.Read(ref _bound))
                {
#pragma warning disable RS1030 // Once per creation of an asked-about class that may drop its object, only when a finding on an object under construction is about to be reported.
                    var model = compilation.GetSemanticModel(_syntax.SyntaxTree);
#pragma warning restore RS1030
                    _creation = model.GetOperation(_syntax, cancellationToken);
                    Volatile.Write(ref _bound, true);
                }

                return _creation;
            }
        }
    }
}
